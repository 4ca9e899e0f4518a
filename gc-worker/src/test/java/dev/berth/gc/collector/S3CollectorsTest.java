package dev.berth.gc.collector;

import dev.berth.devtools.testing.S3TestResource;
import dev.berth.gc.support.GcDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;

/** The collectors on the S3 store (a real S3Proxy; one key per upload). */
@QuarkusTest
@TestProfile(S3CollectorsTest.Profile.class)
class S3CollectorsTest extends CollectorsTestBase {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gc.batch-size", "20");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(GcDatabase.class),
                    new TestResourceEntry(S3TestResource.class, Map.of("bucket", "gc-collectors")));
        }
    }
}
