package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One Berth registry-api process, started from the packaged Quarkus application
 * ({@code registry-api/target/quarkus-app/quarkus-run.jar}) on 127.0.0.1 and a free port, against a given
 * PostgreSQL database and storage (a folder, or what the extra properties configure, such as an S3 bucket).
 * Ready when {@code /q/health/ready} answers 200.
 */
public final class RegistryProcess implements RegistryUnderTest, AutoCloseable {

    /** How long a registry-api process may take to become ready. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final int port;
    private final Path storageDir;
    private final ManagedProcess process;

    private RegistryProcess(String name, int port, Path storageDir, ManagedProcess process) {
        this.name = name;
        this.port = port;
        this.storageDir = storageDir;
        this.process = process;
    }

    /** The packaged registry-api, relative to this module; fails clearly when it has not been built. */
    public static Path runnerJar() {
        Path jar = ItPaths.moduleDir().resolve("../registry-api/target/quarkus-app/quarkus-run.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("registry-api is not packaged: " + jar + " does not exist. Build it first "
                    + "(./mvnw -B -pl registry-core,registry-api -am package -DskipTests), or run the client tests "
                    + "against the peer registry with -Dberth.it.registry=peer");
        }
        return jar;
    }

    /**
     * Starts a registry-api process and waits until it is ready (or fails with its log tail).
     *
     * @param name     a label for logs, e.g. "berth" or "replica-a"
     * @param database database and credentials
     * @param dbName   the database name inside it
     * @param storage  the filesystem storage root (shared by replicas)
     */
    public static RegistryProcess start(String name, EmbeddedDatabase database, String dbName, Path storage) {
        return start(name, database, dbName, storage, Map.of());
    }

    /**
     * As {@link #start(String, EmbeddedDatabase, String, Path)}, with extra configuration passed as
     * {@code -Dkey=value} system properties (for example S3 storage, the Infinispan cache or auth settings).
     * {@code storage} may be null when the properties configure a storage without a local folder (S3).
     */
    public static RegistryProcess start(String name, EmbeddedDatabase database, String dbName, Path storage,
            Map<String, String> properties) {
        return start(name, FreePorts.loopbackPort(), database, dbName, storage, properties);
    }

    /** As {@link #start(String, EmbeddedDatabase, String, Path, Map)} on a given port (a restart keeps its address). */
    public static RegistryProcess start(String name, int port, EmbeddedDatabase database, String dbName, Path storage,
            Map<String, String> properties) {
        Path jar = runnerJar();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java,
                "-Xmx1g",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.reactive.url=" + database.reactiveUrl(dbName),
                "-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl(dbName),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password()));
        if (storage != null) {
            command.add("-Dregistry.storage.filesystem.root=" + storage);
        }
        if (!properties.containsKey("quarkus.vertx.cluster.clustered")) {
            // a single process unless a test clusters on purpose (TestCluster): clustered with the defaults, it would
            // join the "berth" cluster on 5701.. of any other test run or deploy/local/up on this machine
            command.add("-Dquarkus.vertx.cluster.clustered=false");
        }
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        String extra = System.getProperty("berth.it.registryJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.add("-jar");
        command.add(jar.toString());
        ManagedProcess process = ManagedProcess.start("registry-api-" + name, command, Map.of(), ItPaths.runWorkDir(),
                Duration.ofSeconds(20));
        RegistryProcess registry = new RegistryProcess(name, port, storage, process);
        try {
            registry.awaitReady();
        } catch (RuntimeException | Error e) {
            process.close();
            throw e;
        }
        return registry;
    }

    private void awaitReady() {
        URI health = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        long started = System.nanoTime();
        long deadline = started + READY_TIMEOUT.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("registry-api " + name + " exited before it was ready:\n" + process.describe());
            }
            last = Http.statusOrMinusOne(health);
            if (last == 200) {
                System.out.printf("[berth-it] registry-api %s ready on 127.0.0.1:%d in %d ms%n", name, port,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            ManagedProcess.sleep(250);
        }
        throw new AssertionError("registry-api " + name + " not ready within " + READY_TIMEOUT.toSeconds() + " s (last "
                + health + " status " + last + "):\n" + process.describe());
    }

    @Override
    public String kind() {
        return "berth";
    }

    @Override
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The filesystem storage root, or null when the storage is no local folder (S3). */
    public Path storageDir() {
        return storageDir;
    }

    public ManagedProcess process() {
        return process;
    }

    /** kill -9 of this process (Process.destroyForcibly), waiting until it is gone. */
    public void kill9() {
        process.kill9();
    }

    @Override
    public String describe() {
        return "Berth " + process.describe();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "registry-api " + name + " at " + hostPort();
    }
}
