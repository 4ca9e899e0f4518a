package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.RandomContent;

/**
 * A blob pulled from S3 storage by a slow reader across a SIGTERM of the replica serving it arrives whole.
 * <p>
 * The client reads a little, stops reading until the replica has begun its graceful shutdown, then reads
 * the rest slowly, so that the socket buffers stay full to the end: the replica's last writes wait in its
 * outbound buffer when the response ends. Berth once ended the response at that point, Quarkus counted the
 * request done and closed the connection, and the waiting bytes were dropped (the client saw the
 * connection end early). Plain sockets, so that nothing buffers or retries on the client side.
 */
class SlowPullAcrossSigtermS3IT extends ReplicaScenario {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    /* ~4 MiB/s: far slower than S3 serves the blob, so the replica always has bytes waiting */
    private static final int SLOW_READ = 64 * KIB;
    private static final long SLOW_PAUSE_MILLIS = 16;

    @Override
    protected ReplicaStorage createStorage() {
        return new S3BucketStorage("slow-pull-s3");
    }

    @Test
    void aSlowPullGetsEveryByteAcrossSigterm() throws Exception {
        RegistryProcess replica = startReplica("replica-slow-pull", Map.of());
        String repository = "it/shutdown/slow-pull";
        byte[] blob = RandomContent.fresh("pulled slowly across a SIGTERM").bytes(24 * MIB + 7);
        String digest = ReplicaApi.pushBlob(replica, repository, blob);

        ByteArrayOutputStream body = new ByteArrayOutputStream(blob.length);
        String ending;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", replica.port()), 10_000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v2/" + repository + "/blobs/" + digest + " HTTP/1.1\r\nHost: " + replica.hostPort()
                    + "\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertThat(head).as("response head").startsWith("HTTP/1.1 200");
            long length = contentLength(head);
            assertThat(length).as("Content-Length").isEqualTo(blob.length);

            body.write(in.readNBytes(MIB));
            // stop reading: the socket buffers fill up, the replica stops reading from S3
            replica.process().sigterm();
            awaitLog(replica, "Waiting for HTTP requests to complete");
            ending = readSlowly(in, body, length - MIB);
        }
        assertThat(body.size()).as("bytes pulled across the SIGTERM (%s)\n%s", ending, replica.describe())
                .isEqualTo(blob.length);
        assertThat(Digests.sha256(body.toByteArray())).as("content pulled across the SIGTERM").isEqualTo(digest);
        OptionalInt exit = replica.process().awaitExit(Duration.ofSeconds(60));
        assertThat(exit).as("%s exits after its pull finished", replica).isPresent();
    }

    /** Reads up to {@code remaining} bytes in small, spaced reads; says how the reading ended. */
    private static String readSlowly(InputStream in, ByteArrayOutputStream body, long remaining)
            throws InterruptedException {
        byte[] buffer = new byte[SLOW_READ];
        long left = remaining;
        try {
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    return "the connection ended " + left + " bytes short";
                }
                body.write(buffer, 0, n);
                left -= n;
                Thread.sleep(SLOW_PAUSE_MILLIS);
            }
            return "complete";
        } catch (IOException e) {
            return "the connection failed " + left + " bytes short: " + e;
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("connection ended in the response head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new AssertionError("no Content-Length in " + head);
    }

    private static void awaitLog(RegistryProcess replica, String line) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!new String(Files.readAllBytes(replica.process().logFile()), StandardCharsets.UTF_8).contains(line)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no \"" + line + "\" in the log of " + replica + "\n" + replica.describe());
            }
            Thread.sleep(50);
        }
    }
}
