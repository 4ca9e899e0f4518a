package dev.berth.registry.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client that writes its whole body before reading anything still gets the error of a refused
 * request: the registry reads and drops the rest of a modest body rather than leave the client stalled.
 */
@QuarkusTest
class RefusedBodyTest {

    @TestHTTPResource("/")
    URL base;

    @Test
    void anOversizedManifestWrittenToTheEndGets413() throws Exception {
        int length = 15 * 1024 * 1024; // more than loopback socket buffers hold, less than the drain limit
        CompletableFuture<String> exchange = CompletableFuture.supplyAsync(() -> {
            try (Socket socket = new Socket(base.getHost(), base.getPort())) {
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                out.write(("PUT /v2/refused/body/manifests/v1 HTTP/1.1\r\nHost: " + base.getHost() + "\r\n"
                        + "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: " + length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] block = new byte[64 * 1024];
                java.util.Arrays.fill(block, (byte) ' ');
                for (int sent = 0; sent < length; sent += block.length) {
                    out.write(block, 0, Math.min(block.length, length - sent));
                }
                out.flush();
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream response = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    response.write(buf, 0, n);
                    if (response.toString(StandardCharsets.UTF_8).contains("}]}")) {
                        break;
                    }
                }
                return response.toString(StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String response = exchange.get(120, TimeUnit.SECONDS);
        assertThat(response).startsWith("HTTP/1.1 413").contains("MANIFEST_INVALID");
    }
}
