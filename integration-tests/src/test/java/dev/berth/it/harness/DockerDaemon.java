package dev.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A private {@code dockerd} for one test class: vfs storage, no iptables, no bridge, its own data root,
 * exec root, pid file and unix socket, and an empty daemon config file (the host's /etc/docker is not
 * read). The {@code docker} CLI is pointed at it with DOCKER_HOST and a private DOCKER_CONFIG.
 * 127.0.0.0/8 is an insecure registry for dockerd by default, so pushes to a plain-HTTP loopback
 * registry need no flag.
 */
public final class DockerDaemon implements AutoCloseable {

    /**
     * Unix socket paths are limited to 108 bytes, and containerd puts its sockets deep under exec-root
     * ({@code <runtime dir>/x/containerd/containerd.sock.ttrpc}): past this length the runtime folder moves
     * to a short temporary folder under /tmp (removed by {@link #close()}).
     */
    private static final int MAX_RUNTIME_DIR_LENGTH = 68;

    private final Path workDir;
    private final Path runtimeDir;
    private final Path socket;
    private final Path clientConfig;
    private final ManagedProcess process;

    private DockerDaemon(Path workDir, Path runtimeDir, Path socket, Path clientConfig, ManagedProcess process) {
        this.workDir = workDir;
        this.runtimeDir = runtimeDir;
        this.socket = socket;
        this.clientConfig = clientConfig;
        this.process = process;
    }

    public static DockerDaemon start() {
        Tools.require("dockerd", "docker");
        Tools.requireRoot("dockerd runs as root");
        Path workDir = ItPaths.newWorkDir("dockerd");
        Path runtimeDir = workDir.resolve("r");
        if (runtimeDir.toString().length() > MAX_RUNTIME_DIR_LENGTH) {
            // a deep checkout: keep only the sockets in a short folder, removed again by close()
            try {
                runtimeDir = Files.createTempDirectory(Path.of("/tmp"), "berth-it-dockerd-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ItPaths.mkdirs(runtimeDir);
        Path dataRoot = ItPaths.mkdirs(workDir.resolve("data-root"));
        Path clientConfig = ItPaths.mkdirs(workDir.resolve("docker-config"));
        Path daemonJson = workDir.resolve("daemon.json");
        Path socket = runtimeDir.resolve("d.sock");
        try {
            Files.writeString(daemonJson, "{}\n");
            Files.writeString(clientConfig.resolve("config.json"), "{}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of("dockerd",
                "--config-file", daemonJson.toString(),
                "--storage-driver=vfs",
                "--iptables=false", "--ip6tables=false",
                "--bridge=none",
                "--data-root", dataRoot.toString(),
                "--exec-root", runtimeDir.resolve("x").toString(),
                "--pidfile", runtimeDir.resolve("dockerd.pid").toString(),
                "-H", "unix://" + socket));
        ManagedProcess process = ManagedProcess.start("dockerd", command, Map.of(), workDir, Duration.ofSeconds(30));
        DockerDaemon daemon = new DockerDaemon(workDir, runtimeDir, socket, clientConfig, process);
        try {
            daemon.awaitReady();
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    private void awaitReady() {
        long started = System.nanoTime();
        long deadline = started + Duration.ofSeconds(60).toNanos();
        Command.Result last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("dockerd exited before it was ready:\n" + process.describe());
            }
            if (Files.exists(socket)) {
                last = docker("version", "--format", "{{.Server.Version}}").timeout(Duration.ofSeconds(20)).run();
                if (last.exitCode() == 0) {
                    System.out.printf("[berth-it] dockerd %s ready in %d ms (socket %s)%n", last.lastLine(),
                            (System.nanoTime() - started) / 1_000_000, socket);
                    return;
                }
            }
            ManagedProcess.sleep(250);
        }
        throw new AssertionError("dockerd not ready within 60 s" + (last == null ? "" : "; " + last.describe()) + "\n"
                + process.describe());
    }

    /** A docker CLI command against this daemon. */
    public Command docker(String... args) {
        List<String> command = new ArrayList<>();
        command.add("docker");
        command.addAll(List.of(args));
        return Command.of(command)
                .env("DOCKER_HOST", "unix://" + socket)
                .env("DOCKER_CONFIG", clientConfig.toString())
                .timeout(Duration.ofMinutes(3));
    }

    /** The private DOCKER_CONFIG folder of the CLI (config.json holds logins). */
    public Path clientConfigDir() {
        return clientConfig;
    }

    public String describe() {
        return process.describe();
    }

    @Override
    public void close() {
        process.close();
        if (!runtimeDir.startsWith(workDir)) {
            ItPaths.deleteTree(runtimeDir);
        }
        if (!ItPaths.keepWorkDirs()) {
            ItPaths.deleteTree(workDir.resolve("data-root"));
        }
    }

    @Override
    public String toString() {
        return "dockerd pid " + process.pid();
    }
}
