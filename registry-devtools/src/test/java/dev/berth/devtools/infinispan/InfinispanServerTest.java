package dev.berth.devtools.infinispan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.berth.devtools.testing.InfinispanTestResource;

class InfinispanServerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Start, authenticated REST call, stop, restart on the same port, close. */
    @Test
    void startsStopsAndRestartsOnTheSamePort(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("server");
        try (InfinispanServer server = InfinispanServer.start(home)) {
            assertTrue(server.isRunning());
            assertEquals("127.0.0.1:" + server.port(), server.hosts());
            assertTrue(Files.isDirectory(home.resolve("lib")), "the empty lib/ the server needs");
            try (var entries = Files.list(home.resolve("lib"))) {
                assertEquals(0, entries.count(), "lib/ stays empty");
            }
            assertServes(server);

            server.stop();
            assertFalse(server.isRunning());
            assertFalse(InfinispanServer.accepts(server.port()), "nothing listens once stopped");

            server.restart();
            assertTrue(server.isRunning());
            assertServes(server);
        }
        assertFalse(Files.exists(home), "close() deletes the server directory");
    }

    @Test
    void oneSharedServerPerJvmWithQuarkusOverrides() {
        var config = new InfinispanTestResource().start();
        InfinispanServer shared = InfinispanTestResource.server();
        assertEquals("infinispan", config.get("registry.cache.type"));
        assertEquals(shared.hosts(), config.get("registry.cache.infinispan.hosts"));
        assertEquals(InfinispanServer.USERNAME, config.get("registry.cache.infinispan.username"));
        assertEquals(shared.port(), InfinispanServer.shared().port(), "shared, not started twice");
        assertTrue(shared.isRunning());
    }

    /** Health answers anonymously; the cache list needs the test user (REST takes DIGEST, not BASIC). */
    private static void assertServes(InfinispanServer server) throws Exception {
        HttpResponse<String> health = get(server, "/rest/v2/container/health/status");
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("HEALTHY", health.body().trim());
        assertEquals(401, get(server, "/rest/v2/caches").statusCode(), "anonymous clients are refused");
    }

    private static HttpResponse<String> get(InfinispanServer server, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + server.hosts() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
