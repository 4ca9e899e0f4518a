package dev.berth.devtools.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

class EmbeddedPostgresLauncherTest {

    @TempDir
    Path tmp;

    @Test
    void startsOnLoopbackAndKeepsDataAcrossRestarts() throws Exception {
        Path dataDir = tmp.resolve("pg");
        int port = freePort();

        try (EmbeddedPostgres pg = EmbeddedPostgresLauncher.start(port, dataDir)) {
            assertEquals(port, pg.getPort());
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertEquals(1, single(s, "select 1"));
                s.execute("create table kept(v int)");
                s.execute("insert into kept values (42)");
                assertEquals("127.0.0.1", text(s, "show listen_addresses"));
            }
        }
        assertFalse(Postmaster.running(dataDir).isPresent(), "server stopped by close()");

        try (EmbeddedPostgres pg = EmbeddedPostgresLauncher.start(port, dataDir);
                Connection c = connect(port); Statement s = c.createStatement()) {
            assertEquals(42, single(s, "select v from kept"));
        }
    }

    @Test
    void refusesABusyPortAndAForeignDirectory() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IOException e = assertThrows(IOException.class,
                    () -> EmbeddedPostgresLauncher.start(busy.getLocalPort(), tmp.resolve("pg")));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
        Files.writeString(tmp.resolve("foreign.txt"), "not a database");
        IOException e = assertThrows(IOException.class, () -> EmbeddedPostgresLauncher.start(freePort(), tmp));
        assertTrue(e.getMessage().contains("neither empty nor a PostgreSQL data directory"), e.getMessage());
    }

    @Test
    void parsesItsArguments() {
        EmbeddedPostgresLauncher.Options o = EmbeddedPostgresLauncher.Options.parse(
                new String[] {"--port", "6543", "--data-dir", "x/y"});
        assertEquals(6543, o.port());
        assertEquals(Path.of("x/y"), o.dataDir());
        assertEquals(EmbeddedPostgresLauncher.DEFAULT_PORT,
                EmbeddedPostgresLauncher.Options.parse(new String[] {"--data-dir=d"}).port());
        assertThrows(IllegalArgumentException.class, () -> EmbeddedPostgresLauncher.Options.parse(new String[] {"--port", "1"}));
        assertThrows(IllegalArgumentException.class,
                () -> EmbeddedPostgresLauncher.Options.parse(new String[] {"--port", "70000", "--data-dir", "d"}));
        assertThrows(IllegalArgumentException.class, () -> EmbeddedPostgresLauncher.Options.parse(new String[] {"--bogus"}));
    }

    /** The launcher as deploy/local/up runs it: a process that prints one ready line and stops on SIGTERM. */
    @Test
    void mainPrintsReadyAndStopsCleanlyOnSigterm() throws Exception {
        Path dataDir = tmp.resolve("pg-main");
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = tmp.resolve("launcher.log");
        Process launcher = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                EmbeddedPostgresLauncher.class.getName(), "--port", Integer.toString(port), "--data-dir", dataDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            String expected = "PostgreSQL ready on 127.0.0.1:" + port + " (data: " + dataDir.toAbsolutePath() + ")";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!lines(log).contains(expected) && launcher.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(lines(log).contains(expected), () -> "no ready line:\n" + String.join("\n", lines(log)));
            try (Connection c = connect(port); Statement s = c.createStatement()) {
                assertEquals(1, single(s, "select 1"));
            }
            long postmaster = Postmaster.running(dataDir).orElseThrow().pid();

            launcher.destroy(); // SIGTERM
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "launcher exits after SIGTERM");
            // pg_ctl stop returns once the pid file is gone, a moment before the process has ended
            ProcessHandle.of(postmaster).ifPresent(p -> p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join());
            assertFalse(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false),
                    () -> "postmaster still running\n" + String.join("\n", lines(log)));
            assertTrue(lines(log).contains("PostgreSQL stopped"), () -> String.join("\n", lines(log)));
            assertFalse(accepts(port), "port closed");
        } finally {
            launcher.destroyForcibly();
            Postmaster.running(dataDir).ifPresent(ProcessHandle::destroy);
        }
    }

    static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    static Connection connect(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "anything");
    }

    static int single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }

    static String text(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
