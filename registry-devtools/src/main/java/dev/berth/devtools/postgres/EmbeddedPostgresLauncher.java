package dev.berth.devtools.postgres;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Runs an embedded PostgreSQL server in the foreground for the local stack ({@code deploy/local/up}).
 *
 * <pre>
 * java -cp "registry-devtools/target/registry-devtools-VERSION.jar:registry-devtools/target/lib/*" \
 *     dev.berth.devtools.postgres.EmbeddedPostgresLauncher --port 5433 --data-dir .berth-local/postgres
 * </pre>
 *
 * The server listens on 127.0.0.1 only, accepts user {@code postgres} with any password (trust
 * authentication) and keeps its data directory across restarts. Once it answers queries the launcher
 * prints {@value #READY_PREFIX}{@code 127.0.0.1:PORT (data: DIR)} and blocks; SIGTERM (or Ctrl-C) stops
 * the server cleanly. If the server dies on its own, the launcher exits with status 1.
 */
public final class EmbeddedPostgresLauncher {

    public static final int DEFAULT_PORT = 5433;
    public static final String READY_PREFIX = "PostgreSQL ready on ";
    /** Time allowed for the server to accept connections after pg_ctl started it (recovery included). */
    static final Duration STARTUP_WAIT = Duration.ofSeconds(90);

    private static final String USAGE = """
            Usage: EmbeddedPostgresLauncher --data-dir DIR [--port N]
              --data-dir DIR  PostgreSQL data directory; created (initdb) when missing, reused otherwise
              --port N        TCP port on 127.0.0.1 (default %d)""".formatted(DEFAULT_PORT);

    private EmbeddedPostgresLauncher() {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(USAGE);
            return;
        }
        configureLogging();

        EmbeddedPostgres postgres;
        try {
            postgres = start(options.port(), options.dataDir());
        } catch (Exception e) {
            System.err.println("PostgreSQL failed to start: " + describe(e));
            System.exit(1);
            return;
        }

        Path dataDir = options.dataDir().toAbsolutePath().normalize();
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            if (Postmaster.running(dataDir).isEmpty()) {
                System.out.println("PostgreSQL is not running any more");
                return;
            }
            System.out.println("Stopping PostgreSQL on 127.0.0.1:" + options.port() + " ...");
            try {
                postgres.close();
                System.out.println("PostgreSQL stopped");
            } catch (IOException e) {
                System.err.println("PostgreSQL did not stop cleanly: " + e);
            }
            System.out.flush();
        }, "postgres-stop"));

        // Exit when the server dies by itself (crash, kill), so that whoever supervises the launcher notices.
        Postmaster.running(dataDir).ifPresent(postmaster -> postmaster.onExit().thenRun(() -> {
            if (!stopping.get()) {
                System.err.println("PostgreSQL (pid " + postmaster.pid() + ") exited unexpectedly");
                System.exit(1);
            }
        }));

        System.out.println(READY_PREFIX + "127.0.0.1:" + options.port() + " (data: " + dataDir + ")");
        System.out.flush();
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts (and, on first use, initialises) a server on 127.0.0.1:{@code port} whose data lives in
     * {@code dataDir}. The caller owns the result and must {@link EmbeddedPostgres#close() close} it.
     */
    public static EmbeddedPostgres start(int port, Path dataDir) throws IOException {
        return start(port, dataDir, ProcessBuilder.Redirect.INHERIT);
    }

    /** As {@link #start(int, Path)}, the server's output going to {@code output} (a log file of the tests). */
    public static EmbeddedPostgres start(int port, Path dataDir, ProcessBuilder.Redirect output) throws IOException {
        Path dir = dataDir.toAbsolutePath().normalize();
        checkPortFree(port);
        prepareDataDirectory(dir);
        return EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dir)
                .setCleanDataDirectory(false)
                .setServerConfig("listen_addresses", "127.0.0.1")
                // TCP only: no socket files in /tmp that could clash with another server on the same port
                .setServerConfig("unix_socket_directories", "")
                // deterministic across machines; only used by initdb on first start
                .setLocaleConfig("locale", "C")
                .setPGStartupWait(STARTUP_WAIT)
                // the server's own output goes to this process's stdout (the log file of deploy/local/up)
                .setOutputRedirector(output)
                .setErrorRedirector(output)
                // main() stops the server in its own hook, so that it can report it
                .setRegisterShutdownHook(false)
                .start();
    }

    static void checkPortFree(int port) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        } catch (IOException e) {
            throw new IOException("port " + port + " on 127.0.0.1 is already in use", e);
        }
    }

    /**
     * A data directory is either absent or empty (initdb creates it), or a PostgreSQL data directory
     * (reused). Anything else would make initdb fail with a less helpful message.
     */
    static void prepareDataDirectory(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("PG_VERSION"))) {
            Optional<ProcessHandle> running = Postmaster.running(dir);
            if (running.isPresent()) {
                throw new IOException("a PostgreSQL server (pid " + running.get().pid()
                        + ") is still running on " + dir + "; stop it first (kill -INT " + running.get().pid() + ")");
            }
            return;
        }
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        // an earlier launcher may have died between taking its lock and running initdb
        Files.deleteIfExists(dir.resolve("epg-lock"));
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> left = entries.limit(3).toList();
            if (!left.isEmpty()) {
                throw new IOException(dir + " is neither empty nor a PostgreSQL data directory (it holds "
                        + left.get(0).getFileName() + "); choose another directory or empty it");
            }
        }
    }

    private static void configureLogging() {
        // slf4j-simple, when present (target/lib): one line per event on stdout, next to the server's output
        setDefault("org.slf4j.simpleLogger.logFile", "System.out");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd HH:mm:ss.SSS");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
                text.append(": ").append(cause.getMessage());
            }
        }
        return text.toString();
    }

    record Options(int port, Path dataDir) {

        /** @return the options, or {@code null} when help was asked for */
        static Options parse(String[] args) {
            Integer port = null;
            Path dataDir = null;
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "-h", "--help" -> {
                        return null;
                    }
                    case "--port" -> {
                        String text = value != null ? value : next(args, ++i, arg);
                        try {
                            port = Integer.parseInt(text);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--port: not a number: " + text);
                        }
                        if (port < 1 || port > 65535) {
                            throw new IllegalArgumentException("--port: out of range: " + port);
                        }
                    }
                    case "--data-dir" -> {
                        String text = value != null ? value : next(args, ++i, arg);
                        if (text.isBlank()) {
                            throw new IllegalArgumentException("--data-dir: empty");
                        }
                        dataDir = Path.of(text);
                    }
                    default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
            if (dataDir == null) {
                throw new IllegalArgumentException("--data-dir is required");
            }
            return new Options(port != null ? port : DEFAULT_PORT, dataDir);
        }

        private static String next(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }
}
