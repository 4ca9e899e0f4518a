package dev.berth.devtools.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.devtools.testing.S3TestResource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3ProxyServerTest {

    @Test
    void startsOnLoopbackAndStopsWithItsData() throws Exception {
        Path data;
        int port;
        try (S3ProxyServer server = S3ProxyServer.start()) {
            URI endpoint = server.endpoint();
            assertEquals("127.0.0.1", endpoint.getHost());
            port = server.port();
            assertTrue(server.isAlive());
            data = server.dataDirectory().orElseThrow();
            assertTrue(Files.isDirectory(data));
            // an unsigned request is refused by S3 (403), which proves the server and its authentication
            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(endpoint.resolve("/")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, response.statusCode(), response.body());
        }
        assertFalse(Files.exists(data), "the data folder is deleted on close");
        assertFalse(accepts(port), "nothing listens after close");
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void testResourceSharesOneServerPerJvm() {
        S3TestResource resource = new S3TestResource();
        resource.init(Map.of("bucket", "b1", "registry.storage.redirect", "true", "ignored", "x"));
        Map<String, String> config = resource.start();
        assertEquals("s3", config.get("registry.storage.type"));
        assertEquals("b1", config.get("registry.storage.s3.bucket"));
        assertEquals("true", config.get("registry.storage.redirect"));
        assertEquals("true", config.get("registry.storage.s3.create-bucket"));
        assertFalse(config.containsKey("ignored"));
        String endpoint = config.get("registry.storage.s3.endpoint");
        assertEquals(endpoint, System.getProperty(S3ProxyServer.ENDPOINT_PROPERTY));
        assertEquals(endpoint, new S3TestResource().start().get("registry.storage.s3.endpoint"));
        assertTrue(S3ProxyServer.shared().isAlive());
    }
}
