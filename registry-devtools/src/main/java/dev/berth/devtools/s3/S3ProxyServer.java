package dev.berth.devtools.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server for tests: <a href="https://github.com/gaul/s3proxy">S3Proxy</a> with its filesystem
 * backend, run as a child JVM on a free port of 127.0.0.1 and stopped with {@link #close()} (or, for the
 * {@link #shared()} one, when the JVM exits).
 *
 * <p>The S3Proxy jar is not a class-path dependency (its 55 MB of bundled libraries would clash with the
 * tests' own): the build copies {@code org.gaul:s3proxy:jar-with-dependencies} to
 * {@code registry-devtools/target/s3proxy/s3proxy.jar}, and {@link #locateJar()} finds it from the
 * system property {@value #JAR_PROPERTY} or from the working directory of any module of this repository.
 *
 * <p>Requests are authenticated (AWS signature v2 or v4) with {@link #ACCESS_KEY}/{@link #SECRET_KEY}.
 * Buckets are folders under the server's base directory.
 */
public final class S3ProxyServer implements AutoCloseable {

    /** System property naming the S3Proxy jar; optional inside this repository. */
    public static final String JAR_PROPERTY = "berth.s3proxy.jar";
    /** System property holding the endpoint of the {@link #shared()} server once started in this JVM. */
    public static final String ENDPOINT_PROPERTY = "berth.test.s3.endpoint";
    public static final String ACCESS_KEY = "berth-test-access";
    public static final String SECRET_KEY = "berth-test-secret";
    public static final String REGION = "us-east-1";

    static final Path JAR_IN_REPOSITORY = Path.of("registry-devtools", "target", "s3proxy", "s3proxy.jar");
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    /* A string literal is the same object in every class loader of the JVM: one lock for all copies of this class. */
    private static final String SHARED_LOCK = "dev.berth.devtools.s3.S3ProxyServer#shared";

    /* replaced by restart(); null for a view of the shared server */
    private volatile Process process;
    private final URI endpoint;
    private final Path home;
    private final boolean owned;
    private Thread stopHook;

    private S3ProxyServer(Process process, URI endpoint, Path home, boolean owned, Thread stopHook) {
        this.process = process;
        this.endpoint = endpoint;
        this.home = home;
        this.owned = owned;
        this.stopHook = stopHook;
    }

    /**
     * Starts a server of its own whose data lives in a new temporary folder; the caller closes it, which
     * also deletes the data.
     */
    public static S3ProxyServer start() {
        try {
            return start(Files.createTempDirectory("berth-s3proxy-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a server keeping its buckets under {@code home/data}; {@link #close()} deletes {@code home}. */
    public static S3ProxyServer start(Path home) {
        Path jar = locateJar();
        Path data = home.resolve("data");
        Path log = home.resolve("s3proxy.log");
        Process process = null;
        Thread stopHook = null;
        try {
            Files.createDirectories(data);
            int port = freePort();
            URI endpoint = URI.create("http://127.0.0.1:" + port);
            Path properties = home.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
                    ""), StandardCharsets.UTF_8);
            process = launch(jar, properties, log);
            // registered at once, so that a test JVM ended while S3Proxy starts leaves no server behind
            // (only JDK classes in the hook: this class's loader may be closed when the JVM exits)
            S3ProxyServer server = new S3ProxyServer(process, endpoint, home, true, null);
            stopHook = new Thread(() -> {
                Process current = server.process;
                if (current != null) {
                    stop(current);
                }
                deleteTree(home);
            }, "berth-s3proxy-stop");
            server.stopHook = stopHook;
            Runtime.getRuntime().addShutdownHook(stopHook);
            awaitReady(process, port, log);
            return server;
        } catch (IOException | RuntimeException e) {
            String output = tail(log);
            if (process != null) {
                stop(process);
            }
            removeHook(stopHook);
            deleteTree(home);
            throw new IllegalStateException("S3Proxy did not start: " + e.getMessage()
                    + "\n--- s3proxy output ---\n" + output, e);
        }
    }

    private static Process launch(Path jar, Path properties, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-Djava.net.preferIPv4Stack=true");
        command.add("-jar");
        command.add(jar.toString());
        command.add("--properties");
        command.add(properties.toString());
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /**
     * Stops the server (SIGTERM, then SIGKILL) and keeps its buckets, so that {@link #restart()} brings the same
     * data back on the same port: an S3 outage for tests. Only for servers started with {@link #start}.
     */
    public synchronized void stop() {
        requireOwned();
        Process current = process;
        if (current != null && current.isAlive()) {
            stop(current);
            System.out.printf("[berth-s3proxy] stopped the server on %s (pid %d)%n", endpoint, current.pid());
        }
    }

    /** Starts a stopped server again on the same port and data, and waits until it listens; a no-op while it runs. */
    public synchronized void restart() {
        requireOwned();
        if (process != null && process.isAlive()) {
            return;
        }
        Path log = home.resolve("s3proxy.log");
        try {
            process = launch(locateJar(), home.resolve("s3proxy.properties"), log);
            awaitReady(process, port(), log);
            System.out.printf("[berth-s3proxy] restarted the server on %s (pid %d)%n", endpoint, process.pid());
        } catch (IOException e) {
            throw new IllegalStateException("S3Proxy did not restart: " + e.getMessage() + "\n--- s3proxy output ---\n"
                    + tail(log), e);
        }
    }

    private void requireOwned() {
        if (!owned) {
            throw new IllegalStateException("the shared S3Proxy server cannot be stopped or restarted from a view of it");
        }
    }

    /**
     * The server shared by every test of this JVM, started on first use and stopped when the JVM exits.
     * Test code loaded by other class loaders (Quarkus tests) gets a view of the same server: its endpoint
     * is kept in the system property {@value #ENDPOINT_PROPERTY}. Closing the result does nothing.
     */
    public static S3ProxyServer shared() {
        synchronized (SHARED_LOCK) {
            String known = System.getProperty(ENDPOINT_PROPERTY);
            if (known != null) {
                return new S3ProxyServer(null, URI.create(known), null, false, null);
            }
            // its shutdown hook stops it when the JVM exits
            S3ProxyServer server = start();
            System.setProperty(ENDPOINT_PROPERTY, server.endpoint.toString());
            return new S3ProxyServer(null, server.endpoint, null, false, null);
        }
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    public int port() {
        return endpoint.getPort();
    }

    /**
     * The {@code registry.storage.*} configuration that points registry-api's S3 driver at {@code bucket}
     * of this server, with {@code create-bucket=true}.
     */
    public Map<String, String> registryStorageConfig(String bucket) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("registry.storage.type", "s3");
        config.put("registry.storage.s3.endpoint", endpoint.toString());
        config.put("registry.storage.s3.region", REGION);
        config.put("registry.storage.s3.bucket", bucket);
        config.put("registry.storage.s3.access-key", ACCESS_KEY);
        config.put("registry.storage.s3.secret-key", SECRET_KEY);
        config.put("registry.storage.s3.path-style", "true");
        config.put("registry.storage.s3.create-bucket", "true");
        return config;
    }

    /** The folder holding one sub-folder per bucket, for servers started with {@link #start}. */
    public Optional<Path> dataDirectory() {
        return Optional.ofNullable(home).map(h -> h.resolve("data"));
    }

    public boolean isAlive() {
        return owned ? process.isAlive() : accepts(port());
    }

    /** Stops a server started by {@link #start} and deletes its data; a no-op for {@link #shared()}. */
    @Override
    public void close() {
        if (owned) {
            Process current = process;
            if (current != null) {
                stop(current);
            }
            deleteTree(home);
            removeHook(stopHook);
        }
    }

    private static void removeHook(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /**
     * The S3Proxy jar: the system property {@value #JAR_PROPERTY}, else
     * {@code registry-devtools/target/s3proxy/s3proxy.jar} found from the working directory upwards.
     */
    public static Path locateJar() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path jar = Path.of(configured);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(JAR_PROPERTY + "=" + configured + " is not a file");
            }
            return jar;
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 6 && dir != null; i++) {
            Path candidate = dir.resolve(JAR_IN_REPOSITORY);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            if (dir.getFileName() != null && dir.getFileName().toString().equals("registry-devtools")
                    && Files.isRegularFile(dir.resolve("target/s3proxy/s3proxy.jar"))) {
                return dir.resolve("target/s3proxy/s3proxy.jar");
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("S3Proxy jar not found: build registry-devtools through the reactor "
                + "(for example ./mvnw -pl registry-core -am test), which copies it to " + JAR_IN_REPOSITORY
                + ", or set -D" + JAR_PROPERTY + "=PATH");
    }

    private static void awaitReady(Process process, int port, Path log) throws IOException {
        long deadline = System.nanoTime() + STARTUP_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with status " + process.exitValue());
            }
            if (accepts(port)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for S3Proxy", e);
            }
        }
        throw new IOException("S3Proxy did not listen on 127.0.0.1:" + port + " within " + STARTUP_WAIT.toSeconds() + " s");
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) {
        dev.berth.devtools.support.LocalResources.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        return dev.berth.devtools.support.LocalResources.freePort();
    }

    private static String tail(Path log) {
        return dev.berth.devtools.support.LocalResources.tail(log, 40);
    }
}
