package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * What the harness's service processes (token-service, catalog-service) share: the packaged runner jar, the JVM
 * command line on 127.0.0.1 against the test database, and the wait until {@code /q/health/ready} answers 200.
 */
public final class ServiceLauncher {
    private ServiceLauncher() {
    }

    /** {@code <module>/target/quarkus-app/quarkus-run.jar} of this worktree; fails clearly when it is not built. */
    static Path runnerJar(String module) {
        Path jar = ItPaths.moduleDir().resolve("../" + module + "/target/quarkus-app/quarkus-run.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(module + " is not packaged: " + jar + " does not exist. Build it first "
                    + "(./mvnw -B -pl " + module + " -am package -DskipTests)");
        }
        return jar;
    }

    /** {@code java} with the HTTP host and port, the JDBC (and, when {@code reactive}, the reactive) datasource. */
    static List<String> command(int httpPort, EmbeddedDatabase database, String dbName, boolean reactive) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort));
        if (reactive) {
            command.add("-Dquarkus.datasource.reactive.url=" + database.reactiveUrl(dbName));
        }
        command.addAll(List.of("-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl(dbName),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password(),
                "-Dquarkus.log.category.\"dev.berth\".level=DEBUG"));
        return command;
    }

    /** Adds {@code properties} as {@code -Dkey=value} and the jar to {@code command}, and starts it. */
    static ManagedProcess start(String processName, List<String> command, Map<String, String> properties, Path jar) {
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        return ManagedProcess.start(processName, command, Map.of(), ItPaths.runWorkDir(), Duration.ofSeconds(20));
    }

    /**
     * Waits until {@code health} answers 200 (by {@code status}, which yields -1 when nothing answers), or fails with
     * the process's output when it exits or is not ready within {@link RegistryProcess#READY_TIMEOUT}; the process is
     * closed when it fails.
     */
    public static void awaitReady(String what, ManagedProcess process, URI health, ToIntFunction<URI> status) {
        try {
            long started = System.nanoTime();
            long deadline = started + RegistryProcess.READY_TIMEOUT.toNanos();
            int last = -1;
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError(what + " exited before it was ready:\n" + process.describe());
                }
                last = status.applyAsInt(health);
                if (last == 200) {
                    System.out.printf("[berth-it] %s ready on 127.0.0.1:%d in %d ms%n", what, health.getPort(),
                            (System.nanoTime() - started) / 1_000_000);
                    return;
                }
                ManagedProcess.sleep(250);
            }
            throw new AssertionError(what + " not ready (last status " + last + "):\n" + process.describe());
        } catch (RuntimeException | Error e) {
            process.close();
            throw e;
        }
    }
}
