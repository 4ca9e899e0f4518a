package dev.berth.gc.collector;

import dev.berth.gc.support.GcDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The collectors on the filesystem store (one path per digest). */
@QuarkusTest
@TestProfile(FilesystemCollectorsTest.Profile.class)
class FilesystemCollectorsTest extends CollectorsTestBase {

    public static class Profile implements io.quarkus.test.junit.QuarkusTestProfile {
        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            // small batches: the concurrency test then has collectors interleave over many batches
            return java.util.Map.of("gc.batch-size", "20", "registry.storage.filesystem.root", "target/collector-storage");
        }

        @Override
        public java.util.List<TestResourceEntry> testResources() {
            return java.util.List.of(new TestResourceEntry(GcDatabase.class));
        }
    }
}
