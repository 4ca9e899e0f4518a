import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * bench/catalog helper: runs one SQL statement with text parameters ($1 .. as ?) and prints the rows of a query,
 * columns separated by tabs. usage: ExecuteSql JDBC_URL SQL [PARAMETER...]
 */
public class ExecuteSql {
    public static void main(String[] args) throws SQLException {
        try (Connection c = DriverManager.getConnection(args[0], "postgres", "postgres");
                PreparedStatement s = c.prepareStatement(args[1])) {
            for (int i = 2; i < args.length; i++) {
                s.setString(i - 1, args[i]);
            }
            if (!s.execute()) {
                return;
            }
            try (ResultSet rs = s.getResultSet()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder line = new StringBuilder();
                    for (int i = 1; i <= columns; i++) {
                        line.append(i > 1 ? "\t" : "").append(rs.getString(i));
                    }
                    System.out.println(line);
                }
            }
        }
    }
}
