package dev.berth.gc.collector;

import dev.berth.devtools.testing.S3TestResource;
import dev.berth.gc.support.GcDatabase;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/** Test profiles of the cleanup collectors ({@code uploads}, {@code orphans}): small pages and batches. */
public final class CleanupProfiles {
    private CleanupProfiles() {
    }

    /** On the filesystem store; ages are made by setting files' modification times. */
    public static class Filesystem implements QuarkusTestProfile {
        public static final String ROOT = "target/cleanup-storage";

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("registry.storage.type", "filesystem", "registry.storage.filesystem.root", ROOT,
                    "gc.grace", "PT1H", "gc.uploads.max-age", "PT24H", "gc.orphans.page-size", "4",
                    "gc.batch-size", "3");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(GcDatabase.class));
        }
    }

    /** On S3 (S3Proxy), whose objects cannot be made old: a grace of 3 s and a maximum upload age of 6 s. */
    public static class S3 implements QuarkusTestProfile {
        public static final String BUCKET = "gc-cleanup-test";

        @Override
        public Map<String, String> getConfigOverrides() {
            // S3's smallest part (5 MiB), so that the tests' 6 MiB chunks start multipart uploads
            return Map.of("gc.grace", "PT3S", "gc.uploads.max-age", "PT6S", "gc.orphans.page-size", "3",
                    "gc.batch-size", "3", "registry.storage.s3.part-size", "5242880");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(GcDatabase.class),
                    new TestResourceEntry(S3TestResource.class, Map.of("bucket", BUCKET)));
        }
    }
}
