import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * bench/catalog helper: runs one SQL statement with text parameters (?) and prints the rows of a query, columns
 * separated by tabs. With --every MS --for SECONDS it runs the query again and again on one connection (a
 * sampler, bounded by SECONDS) and starts each row with the epoch time in seconds.
 * usage: ExecuteSql [--every MS --for SECONDS] JDBC_URL SQL [PARAMETER...]
 */
public class ExecuteSql {
    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        long every = 0;
        double seconds = 0;
        while (!rest.isEmpty() && rest.get(0).startsWith("--")) {
            String option = rest.remove(0);
            String value = rest.remove(0);
            switch (option) {
                case "--every" -> every = Long.parseLong(value);
                case "--for" -> seconds = Double.parseDouble(value);
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        try (Connection c = DriverManager.getConnection(rest.get(0), "postgres", "postgres");
                PreparedStatement s = c.prepareStatement(rest.get(1))) {
            for (int i = 2; i < rest.size(); i++) {
                s.setString(i - 1, rest.get(i));
            }
            if (every <= 0) {
                run(s, null);
                return;
            }
            long end = System.currentTimeMillis() + (long) (seconds * 1000);
            while (System.currentTimeMillis() < end) {
                run(s, String.format("%.3f", System.currentTimeMillis() / 1000.0));
                System.out.flush();
                Thread.sleep(every);
            }
        }
    }

    private static void run(PreparedStatement s, String prefix) throws SQLException {
        if (!s.execute()) {
            return;
        }
        try (ResultSet rs = s.getResultSet()) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder line = new StringBuilder(prefix == null ? "" : prefix + "\t");
                for (int i = 1; i <= columns; i++) {
                    line.append(i > 1 ? "\t" : "").append(rs.getString(i));
                }
                System.out.println(line);
            }
        }
    }
}
