package dev.berth.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.Tools;

/**
 * A registry whose storage is a real, small file system (a 48 MiB tmpfs mounted by the test): a push
 * that does not fit gets an OCI error that says so, what was stored stays intact, readiness reports
 * the storage with a reason, and the registry recovers by itself once space is back.
 */
@ExtendWith(RegistryExtension.class)
class FullDiskIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path mount;
    private static RegistryProcess registry;

    @BeforeAll
    static void start(ItEnvironment environment) {
        Assumptions.assumeTrue(ItEnvironment.selectedRegistry().equals("berth"), "full-disk test runs against Berth only");
        Tools.requireRoot("mounting a small tmpfs as the registry's storage");
        mount = ItPaths.newWorkDir("full-disk-storage");
        Command.Result mounted = Command.of("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString()).run();
        if (mounted.exitCode() != 0) {
            Tools.unavailable("cannot mount a tmpfs here: " + mounted.output());
        }
        EmbeddedDatabase database = environment.database();
        String databaseName = "fulldisk_" + Long.toHexString(System.nanoTime());
        database.createDatabase(databaseName);
        registry = environment.track(RegistryProcess.start("full-disk", database, databaseName, mount,
                Map.of("registry.storage.filesystem.min-free-bytes", String.valueOf(4 << 20))));
    }

    @AfterAll
    static void unmount() {
        if (registry != null) {
            registry.close();
        }
        if (mount != null) {
            Command.of("umount", mount.toString()).run();
        }
    }

    private static String url(String path) {
        return "http://" + registry.hostPort() + path;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aPushThatDoesNotFitIsRefusedClearlyAndNothingIsLost() throws Exception {
        String repo = "/v2/it/full/disk";
        byte[] kept = random(8 << 20, 1);
        String keptDigest = sha256(kept);
        assertThat(send(HttpRequest.newBuilder(URI.create(url(repo + "/blobs/uploads/?digest=" + keptDigest)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(kept))).statusCode()).isEqualTo(201);

        // 60 MiB into what is left of 48 MiB
        byte[] tooBig = random(60 << 20, 2);
        HttpResponse<String> start = send(HttpRequest.newBuilder(URI.create(url(repo + "/blobs/uploads/")))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String location = start.headers().firstValue("Location").orElseThrow();
        HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create(url(location)))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(tooBig))
                .header("Content-Type", "application/octet-stream"));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
        assertThat(refused.body()).contains("\"code\":\"STORAGE_FULL\"").contains("out of space");

        // the upload stays resumable where it was, and its partial bytes were given back
        HttpResponse<String> status = send(HttpRequest.newBuilder(URI.create(url(location))).GET());
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-0");
        assertThat(send(HttpRequest.newBuilder(URI.create(url("/q/health/ready"))).GET()).statusCode()).isEqualTo(200);

        // the blob stored before is intact
        HttpResponse<byte[]> get = HTTP.send(HttpRequest.newBuilder(URI.create(url(repo + "/blobs/" + keptDigest))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(sha256(get.body())).isEqualTo(keptDigest);

        // someone else fills the disk: readiness says why, pushes are refused, then space comes back
        Path filler = mount.resolve("filler.bin");
        Command.of("dd", "if=/dev/zero", "of=" + filler, "bs=1M", "count=64").run();
        HttpResponse<String> notReady = send(HttpRequest.newBuilder(URI.create(url("/q/health/ready"))).GET());
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("storage").contains("below the minimum");
        byte[] small = random(1 << 20, 3);
        HttpResponse<String> refusedSmall = send(HttpRequest.newBuilder(URI.create(url(location)))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(small)));
        assertThat(refusedSmall.statusCode()).as(refusedSmall.body()).isEqualTo(507);

        Files.delete(filler);
        assertThat(send(HttpRequest.newBuilder(URI.create(url("/q/health/ready"))).GET()).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create(url(location)))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(small))).statusCode()).isEqualTo(202);
        assertThat(send(HttpRequest.newBuilder(URI.create(url(location + "?digest=" + sha256(small))))
                .PUT(HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> again = HTTP.send(HttpRequest.newBuilder(URI.create(url(repo + "/blobs/" + keptDigest))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(sha256(again.body())).isEqualTo(keptDigest);
    }
}
