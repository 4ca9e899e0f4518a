package dev.berth.registry.storage;

import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.devtools.testing.S3TestResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/** registry-api on the S3 driver against the shared S3Proxy, with 5 MiB parts (S3's minimum). */
public class S3StorageProfile implements QuarkusTestProfile {
    public static final String BUCKET = "registry-api-test";
    public static final long PART_SIZE = 5L * 1024 * 1024;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("registry.storage.s3.part-size", Long.toString(PART_SIZE),
                "registry.storage.redirect", Boolean.toString(redirect()));
    }

    protected boolean redirect() {
        return false;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(PostgresTestResource.class),
                new TestResourceEntry(S3TestResource.class, Map.of("bucket", BUCKET)));
    }

    /** The same with {@code registry.storage.redirect=true}. */
    public static class WithRedirect extends S3StorageProfile {
        @Override
        protected boolean redirect() {
            return true;
        }
    }
}
