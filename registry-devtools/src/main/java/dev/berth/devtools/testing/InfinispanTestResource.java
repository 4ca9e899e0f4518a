package dev.berth.devtools.testing;

import java.util.Map;

import dev.berth.devtools.infinispan.InfinispanServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real Infinispan server for {@code @QuarkusTest}s, and registry-api configured to use it as its manifest
 * cache ({@code registry.cache.type=infinispan}): {@code @WithTestResource(InfinispanTestResource.class)} or a
 * test profile's {@code testResources()}.
 *
 * <p>One server per JVM ({@link InfinispanServer#shared()}), on a free port of 127.0.0.1, started the first
 * time a test class needs it and shared by every later one; {@link #stop()} leaves it running, a JVM shutdown
 * hook stops it. A test that takes the server away ({@code server().stop()}) must bring it back
 * ({@code server().restart()}) before it ends.
 */
public class InfinispanTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        InfinispanServer server = server();
        return Map.of(
                "registry.cache.type", "infinispan",
                "registry.cache.infinispan.hosts", server.hosts(),
                "registry.cache.infinispan.username", InfinispanServer.USERNAME,
                "registry.cache.infinispan.password", InfinispanServer.PASSWORD,
                "registry.cache.infinispan.cache-configuration", InfinispanServer.CACHE_CONFIGURATION);
    }

    @Override
    public void stop() {
        // kept running for the next test class; the JVM shutdown hook stops it
    }

    /** The JVM's shared server, started if needed. */
    public static InfinispanServer server() {
        return InfinispanServer.shared();
    }
}
