package dev.berth.devtools.testing;

import dev.berth.devtools.s3.S3ProxyServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * A real S3 server for {@code @QuarkusTest}s, the way {@link PostgresTestResource} gives a database: the
 * JVM's shared {@link S3ProxyServer} (started on first use, stopped when the JVM exits) and the
 * {@code registry.storage.*} overrides that point registry-api's S3 driver at it, with
 * {@code create-bucket=true}.
 *
 * <p>Init arguments (from {@code @WithTestResource(initArgs = ...)} or a test profile's
 * {@code TestResourceEntry}): {@code bucket} names the bucket (default {@value #DEFAULT_BUCKET}); any
 * argument starting with {@code registry.} is passed on as a config override, for example
 * {@code registry.storage.redirect=true}.
 */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {
    public static final String DEFAULT_BUCKET = "berth-test";

    private final Map<String, String> extra = new HashMap<>();
    private String bucket = DEFAULT_BUCKET;

    @Override
    public void init(Map<String, String> initArgs) {
        initArgs.forEach((name, value) -> {
            if (name.equals("bucket")) {
                bucket = value;
            } else if (name.startsWith("registry.")) {
                extra.put(name, value);
            }
        });
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = S3ProxyServer.shared().registryStorageConfig(bucket);
        config.putAll(extra);
        return Map.copyOf(config);
    }

    @Override
    public void stop() {
        // kept running for the next test class; the JVM shutdown hook stops it
    }
}
