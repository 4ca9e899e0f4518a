package dev.berth.devtools.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresTestResourceTest {

    @Test
    void oneServerPerJvmWithQuarkusOverrides() throws Exception {
        Map<String, String> first = new PostgresTestResource().start();
        int port = PostgresTestResource.port();
        assertEquals(Map.of(
                "quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + port + "/postgres",
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres"), first);
        assertEquals(Integer.toString(port), System.getProperty(PostgresTestResource.PORT_PROPERTY));

        PostgresTestResource another = new PostgresTestResource();
        another.stop();
        assertEquals(first, another.start(), "the server is shared, not restarted");

        try (Connection c = DriverManager.getConnection(PostgresTestResource.jdbcUrl(), "postgres", "postgres");
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery("show fsync")) {
            assertTrue(rs.next());
            assertEquals("off", rs.getString(1));
        }
    }

    /** The server must not outlive the test JVM. */
    @Test
    void stoppedWhenTheJvmExits(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("child.out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM exits");
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        String portLine = lines.stream().filter(l -> l.startsWith("port=")).findFirst()
                .orElseThrow(() -> new AssertionError(String.join("\n", lines)));
        int port = Integer.parseInt(portLine.substring("port=".length()));
        assertFalse(accepts(port), () -> "PostgreSQL still answers on " + port + " after its JVM exited\n" + String.join("\n", lines));
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A test JVM in miniature: uses the server, then exits. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            new PostgresTestResource().start();
            try (Connection c = PostgresTestResource.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("select 1");
            }
            System.out.println("port=" + PostgresTestResource.port());
        }
    }
}
