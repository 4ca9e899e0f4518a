package dev.berth.it.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.Http;

/**
 * One Berth service running as a podman container the way docs/container-images.md runs it: host network (it
 * listens on 127.0.0.1:PORT), settings as environment variables (from an env file, so no secret shows in a process
 * list), user 10001, read-only root file system with a tmpfs /tmp. Ready when {@code /q/health/ready} answers 200.
 */
public final class ServiceContainer implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(150);

    private final Podman podman;
    private final String name;
    private final int port;

    private ServiceContainer(Podman podman, String name, int port) {
        this.podman = podman;
        this.name = name;
        this.port = port;
    }

    /** The environment variable Quarkus reads for a property: upper case, every other character an underscore. */
    public static String envName(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /**
     * Starts {@code image} as container {@code name} with {@code properties} (as environment variables) and
     * {@code quarkus.http.host=127.0.0.1}, {@code quarkus.http.port=port}; waits until it is ready.
     */
    public static ServiceContainer start(Podman podman, String name, String image, int port, Map<String, String> properties) {
        Path envFile = podman.dir().resolve(name + ".env");
        List<String> lines = new ArrayList<>();
        lines.add("QUARKUS_HTTP_HOST=127.0.0.1");
        lines.add("QUARKUS_HTTP_PORT=" + port);
        // a bounded heap: unbounded, each JVM would take a quarter of the machine
        lines.add("JAVA_TOOL_OPTIONS=-Xmx256m");
        properties.forEach((key, value) -> lines.add(envName(key) + "=" + value));
        try {
            Files.write(envFile, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        podman.podman("run", "--detach", "--name", name, "--network", "host", "--user", "10001:10001",
                "--read-only", "--tmpfs", "/tmp:rw,size=256m,mode=1777", "--env-file", envFile.toString(), image).runOk();
        ServiceContainer container = new ServiceContainer(podman, name, port);
        container.awaitReady();
        return container;
    }

    private void awaitReady() {
        URI health = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        long started = System.nanoTime();
        long deadline = started + READY_TIMEOUT.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            String state = state();
            if (!state.equals("running")) {
                throw new AssertionError("container " + name + " is " + state + " before it was ready:\n" + logs());
            }
            last = Http.statusOrMinusOne(health);
            if (last == 200) {
                System.out.printf("[berth-it] container %s ready on 127.0.0.1:%d in %d ms%n", name, port,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("container " + name + " not ready within " + READY_TIMEOUT.toSeconds() + " s (last "
                + health + " status " + last + "):\n" + logs());
    }

    /** podman's state of the container: running, exited, ... */
    public String state() {
        return podman.podman("inspect", "--format", "{{.State.Status}}", name).timeout(Duration.ofSeconds(60)).runOk().lastLine();
    }

    /** The container's output (its last 200 lines). */
    public String logs() {
        Command.Result result = podman.podman("logs", "--tail", "200", name).timeout(Duration.ofSeconds(60)).run();
        return "----- podman logs " + name + " -----\n" + Command.tail(result.output(), 12000) + "\n-----";
    }

    /** {@code podman exec NAME ARGS...}, whatever its exit code. */
    public Command.Result exec(String... args) {
        List<String> command = new ArrayList<>(List.of("exec", name));
        command.addAll(List.of(args));
        return podman.podman(command.toArray(String[]::new)).timeout(Duration.ofSeconds(60)).run();
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Stops (10 s grace) and removes the container. */
    @Override
    public void close() {
        podman.podman("rm", "--force", "--time", "10", name).timeout(Duration.ofMinutes(1)).run();
    }

    @Override
    public String toString() {
        return "container " + name + " on 127.0.0.1:" + port;
    }
}
