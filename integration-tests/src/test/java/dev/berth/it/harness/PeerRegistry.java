package dev.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The peer: Debian's {@code docker-registry} (CNCF distribution), filesystem storage, deletes enabled, on
 * 127.0.0.1 and a free port. The client tests run against it with {@code -Dberth.it.registry=peer}, which
 * tells a client problem from a Berth problem.
 */
public final class PeerRegistry implements RegistryUnderTest, AutoCloseable {

    private final int port;
    private final ManagedProcess process;

    private PeerRegistry(int port, ManagedProcess process) {
        this.port = port;
        this.process = process;
    }

    public static PeerRegistry start(Path workDir) {
        Tools.require("docker-registry");
        int port = FreePorts.loopbackPort();
        Path storage = ItPaths.mkdirs(workDir.resolve("storage"));
        Path config = workDir.resolve("config.yml");
        String yaml = String.join("\n",
                "version: 0.1",
                "log:",
                "  level: info",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage,
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port,
                "  secret: berth-it-peer-secret",
                "");
        try {
            Files.writeString(config, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ManagedProcess process = ManagedProcess.start("peer-docker-registry",
                List.of("docker-registry", "serve", config.toString()), Map.of(), workDir, Duration.ofSeconds(10));
        PeerRegistry peer = new PeerRegistry(port, process);
        try {
            peer.awaitReady();
        } catch (RuntimeException | Error e) {
            process.close();
            throw e;
        }
        return peer;
    }

    private void awaitReady() {
        URI v2 = URI.create("http://127.0.0.1:" + port + "/v2/");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("docker-registry exited before it was ready:\n" + process.describe());
            }
            if (Http.statusOrMinusOne(v2) == 200) {
                System.out.printf("[berth-it] peer docker-registry ready on 127.0.0.1:%d%n", port);
                return;
            }
            ManagedProcess.sleep(100);
        }
        throw new AssertionError("docker-registry not ready within 30 s:\n" + process.describe());
    }

    @Override
    public String kind() {
        return "peer";
    }

    @Override
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    @Override
    public String describe() {
        return "peer " + process.describe();
    }

    @Override
    public void close() {
        process.close();
    }
}
