package dev.berth.devtools.infinispan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A real Infinispan server (15.0) in its own JVM on 127.0.0.1, for tests: plain JUnit and integration tests
 * use {@link #start(Path)} and {@link #close()}; {@code @QuarkusTest}s use
 * {@link dev.berth.devtools.testing.InfinispanTestResource}, which shares one server per JVM through
 * {@link #shared()}.
 *
 * <p>The server's class path is resolved by Maven when the project is built (module
 * {@code registry-devtools/infinispan-server} copies {@code org.infinispan:infinispan-server-runtime} and its
 * dependencies to its {@code target/lib}); {@value #LIB_PROPERTY} points elsewhere. The server directory
 * holds {@code conf/} (infinispan.xml, users.properties, groups.properties, log4j2.xml), an empty {@code lib/}
 * (the server loads extensions from it, and fails on the jars of its own class path), {@code data/} and the
 * log {@code server.log}. Hot Rod and REST share one port; no transport, so caches are local. One user,
 * {@value #USERNAME}/{@value #PASSWORD}, in the {@code admin} group: it may create caches.
 *
 * <p>{@link #stop()} and {@link #restart()} take the server away and bring it back on the same port and
 * directory (caches created over Hot Rod survive; entries do not), for tests of a cache outage.
 */
public final class InfinispanServer implements AutoCloseable {

    public static final String USERNAME = "berth";
    public static final String PASSWORD = "berth-secret";
    /** System property: folder with the server's jars (default: resolved at build time). */
    public static final String LIB_PROPERTY = "berth.infinispan.server.lib";
    /** System property: extra JVM options of the server (default small heap, serial GC, C1 only). */
    public static final String JVM_OPTIONS_PROPERTY = "berth.infinispan.server.jvmOptions";
    /**
     * A cache configuration this server can create: local, since it runs without a transport (for
     * {@code registry.cache.infinispan.cache-configuration}, whose default is a distributed cache).
     */
    public static final String CACHE_CONFIGURATION = "<local-cache><encoding media-type=\"application/x-protostream\"/>"
            + "<memory max-count=\"100000\" when-full=\"REMOVE\"/></local-cache>";
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /* the shared server, across class loaders: system properties are one per JVM */
    static final String SHARED_PORT = "berth.test.infinispan.port";
    static final String SHARED_HOME = "berth.test.infinispan.home";
    static final String SHARED_PID = "berth.test.infinispan.pid";
    /* A string literal is the same object in every class loader of the JVM: one lock for all copies of this class. */
    private static final String LOCK = "dev.berth.devtools.infinispan.InfinispanServer#shared";

    private static final String STARTED_MARKER = "ISPN080001";
    private static final String DEFAULT_JVM_OPTIONS = "-Xms64m -Xmx320m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
            + "-XX:MaxMetaspaceSize=256m -Djava.net.preferIPv4Stack=true";

    private final Path home;
    private final int port;
    private final boolean shared;
    private final Path log;
    private volatile ProcessHandle process;

    private InfinispanServer(Path home, int port, boolean shared, ProcessHandle process) {
        this(home, port, shared, process, home.resolve("server.log"));
    }

    private InfinispanServer(Path home, int port, boolean shared, ProcessHandle process, Path log) {
        this.home = home;
        this.port = port;
        this.shared = shared;
        this.process = process;
        this.log = log;
    }

    /** Starts a server in {@code home} (created if missing) on a free port of 127.0.0.1, and waits until it serves. */
    public static InfinispanServer start(Path home) {
        return start(home, freePort());
    }

    /** Starts a server in {@code home} on {@code port} of 127.0.0.1, and waits until it serves. */
    public static InfinispanServer start(Path home, int port) {
        return start(home, port, home.resolve("server.log"));
    }

    /** As {@link #start(Path, int)}, with the server's output appended to {@code log} (the local stack's log folder). */
    public static InfinispanServer start(Path home, int port, Path log) {
        InfinispanServer server = new InfinispanServer(home.toAbsolutePath().normalize(), port, false, null,
                log.toAbsolutePath().normalize());
        server.writeServerDirectory();
        server.launch();
        return server;
    }

    /**
     * The server shared by everything in this JVM (every test class, in any class loader): started on first
     * use in a temporary directory, stopped and deleted when the JVM exits.
     */
    public static InfinispanServer shared() {
        synchronized (LOCK) {
            String port = System.getProperty(SHARED_PORT);
            if (port != null) {
                Path home = Path.of(System.getProperty(SHARED_HOME));
                ProcessHandle handle = Optional.ofNullable(System.getProperty(SHARED_PID))
                        .flatMap(pid -> ProcessHandle.of(Long.parseLong(pid))).orElse(null);
                return new InfinispanServer(home, Integer.parseInt(port), true, handle);
            }
            Path home;
            try {
                home = Files.createTempDirectory("berth-test-infinispan-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            InfinispanServer server = new InfinispanServer(home, freePort(), true, null);
            server.writeServerDirectory();
            System.setProperty(SHARED_PORT, Integer.toString(server.port));
            System.setProperty(SHARED_HOME, home.toString());
            // Only JDK classes in the hook: the class loader of this class may be closed when the JVM exits.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                String pid = System.getProperty(SHARED_PID);
                if (pid != null) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> terminate(p, STOP_TIMEOUT));
                }
                deleteTree(home);
            }, "berth-test-infinispan-stop"));
            server.launch();
            return server;
        }
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}: the Hot Rod server list. */
    public String hosts() {
        return "127.0.0.1:" + port;
    }

    public Path home() {
        return home;
    }

    /** The server's output (appended across restarts). */
    public Path log() {
        return log;
    }

    /** The server process while it runs. */
    public Optional<ProcessHandle> process() {
        return Optional.ofNullable(handle()).filter(ProcessHandle::isAlive);
    }

    public boolean isRunning() {
        ProcessHandle p = handle();
        return p != null && p.isAlive();
    }

    /** The server process; for the shared server the one the JVM knows now (any class loader may have restarted it). */
    private ProcessHandle handle() {
        if (!shared) {
            return process;
        }
        String pid = System.getProperty(SHARED_PID);
        return pid == null ? null : ProcessHandle.of(Long.parseLong(pid)).orElse(null);
    }

    /** Stops the server (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}); the directory stays for {@link #restart()}. */
    public synchronized void stop() {
        ProcessHandle p = handle();
        if (p != null) {
            terminate(p, STOP_TIMEOUT);
            process = null;
            if (shared) {
                System.clearProperty(SHARED_PID);
            }
            System.out.printf("[berth-infinispan] stopped the server on 127.0.0.1:%d (pid %d)%n", port, p.pid());
        }
    }

    /** Starts the server again, on the same port and directory, and waits until it serves. */
    public synchronized void restart() {
        if (isRunning()) {
            return;
        }
        launch();
    }

    /** Stops the server and deletes its directory (the shared server is only stopped: it is the JVM's). */
    @Override
    public void close() {
        stop();
        if (!shared) {
            deleteTree(home);
        }
    }

    @Override
    public String toString() {
        return "Infinispan server on " + hosts() + " (" + home + ")";
    }

    private synchronized void launch() {
        Path lib = serverLib();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String option : System.getProperty(JVM_OPTIONS_PROPERTY, DEFAULT_JVM_OPTIONS).trim().split("\\s+")) {
            if (!option.isEmpty()) {
                command.add(option);
            }
        }
        command.addAll(List.of("-cp", lib.resolve("*").toString(), "org.infinispan.server.Bootstrap",
                "-s", home.toString(), "-c", "infinispan.xml", "-b", "127.0.0.1"));
        long logStart;
        Process started;
        try {
            logStart = Files.exists(log()) ? Files.size(log()) : 0;
            started = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Infinispan server: " + String.join(" ", command), e);
        }
        process = started.toHandle();
        if (shared) {
            System.setProperty(SHARED_PID, Long.toString(started.pid()));
        }
        long begun = System.nanoTime();
        long deadline = begun + STARTUP_TIMEOUT.toNanos();
        while (true) {
            if (!started.isAlive()) {
                process = null;
                throw new IllegalStateException("the Infinispan server exited (status " + started.exitValue()
                        + ") before it served\n--- " + log() + " ---\n" + tail(logStart));
            }
            if (logSince(logStart).contains(STARTED_MARKER) && accepts(port)) {
                System.out.printf("[berth-infinispan] server on 127.0.0.1:%d (pid %d) ready in %d ms; log %s%n", port,
                        started.pid(), (System.nanoTime() - begun) / 1_000_000, log());
                return;
            }
            if (System.nanoTime() > deadline) {
                terminate(started.toHandle(), Duration.ofSeconds(5));
                process = null;
                throw new IllegalStateException("the Infinispan server did not start within "
                        + STARTUP_TIMEOUT.toSeconds() + " s\n--- " + log() + " ---\n" + tail(logStart));
            }
            sleep(100);
        }
    }

    /** The folder with the server's jars: {@value #LIB_PROPERTY}, or the one the build resolved. */
    public static Path serverLib() {
        String configured = System.getProperty(LIB_PROPERTY);
        Path lib;
        if (configured != null && !configured.isBlank()) {
            lib = Path.of(configured);
        } else {
            Properties build = new Properties();
            try (InputStream in = InfinispanServer.class.getResourceAsStream("server-lib.properties")) {
                if (in == null) {
                    throw new IllegalStateException("server-lib.properties is missing from registry-devtools");
                }
                build.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            lib = Path.of(build.getProperty("lib"));
        }
        try (Stream<Path> jars = Files.list(lib)) {
            if (jars.anyMatch(j -> j.getFileName().toString().startsWith("infinispan-server-runtime-"))) {
                return lib;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new IllegalStateException("no Infinispan server jars in " + lib + ": build them with "
                + "./mvnw -pl registry-devtools/infinispan-server generate-resources (or set -D" + LIB_PROPERTY + ")");
    }

    private void writeServerDirectory() {
        try {
            Files.createDirectories(home.resolve("conf"));
            Files.createDirectories(log.getParent());
            // must stay empty: the server adds every jar in it to a class loader of its own
            Files.createDirectories(home.resolve("lib"));
            Files.writeString(home.resolve("conf/infinispan.xml"), serverXml(port), StandardCharsets.UTF_8);
            Files.writeString(home.resolve("conf/users.properties"), USERNAME + "=" + PASSWORD + "\n",
                    StandardCharsets.UTF_8);
            Files.writeString(home.resolve("conf/groups.properties"), USERNAME + "=admin\n", StandardCharsets.UTF_8);
            Files.writeString(home.resolve("conf/log4j2.xml"), LOG4J2_XML, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Infinispan server directory " + home, e);
        }
    }

    static String serverXml(int port) {
        return """
                <infinispan xmlns="urn:infinispan:config:15.0" xmlns:server="urn:infinispan:server:15.0">
                   <!-- no transport: one node, local caches -->
                   <cache-container name="default" statistics="false"/>
                   <server xmlns="urn:infinispan:server:15.0">
                      <interfaces>
                         <interface name="public">
                            <inet-address value="127.0.0.1"/>
                         </interface>
                      </interfaces>
                      <socket-bindings default-interface="public" port-offset="0">
                         <socket-binding name="default" port="%d"/>
                      </socket-bindings>
                      <security>
                         <security-realms>
                            <security-realm name="default">
                               <properties-realm groups-attribute="Roles">
                                  <user-properties path="users.properties" plain-text="true"/>
                                  <group-properties path="groups.properties"/>
                               </properties-realm>
                            </security-realm>
                         </security-realms>
                      </security>
                      <endpoints socket-binding="default" security-realm="default"/>
                   </server>
                </infinispan>
                """.formatted(port);
    }

    private static final String LOG4J2_XML = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Configuration name="berth-test-infinispan" monitorInterval="0" shutdownHook="disable">
              <Appenders>
                <Console name="STDOUT">
                  <PatternLayout pattern="%d{HH:mm:ss,SSS} %-5p (%t) [%c] %m%throwable%n"/>
                </Console>
              </Appenders>
              <Loggers>
                <Root level="INFO">
                  <AppenderRef ref="STDOUT"/>
                </Root>
              </Loggers>
            </Configuration>
            """;

    /** SIGTERM, a bounded wait, then SIGKILL; by process id only. */
    static void terminate(ProcessHandle p, Duration grace) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        long deadline = System.nanoTime() + grace.toNanos();
        while (p.isAlive() && System.nanoTime() < deadline) {
            sleep(100);
        }
        if (p.isAlive()) {
            p.destroyForcibly();
            long killDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (p.isAlive() && System.nanoTime() < killDeadline) {
                sleep(50);
            }
        }
    }

    static int freePort() {
        return dev.berth.devtools.support.LocalResources.freePort();
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(log());
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private String tail(long offset) {
        String text = logSince(offset);
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteTree(Path root) {
        dev.berth.devtools.support.LocalResources.deleteTree(root);
    }
}
