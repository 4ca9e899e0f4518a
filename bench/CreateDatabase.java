import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** bench/compare helper: creates a database if it is missing. usage: CreateDatabase JDBC_URL NAME */
public class CreateDatabase {
    public static void main(String[] args) throws SQLException {
        try (Connection c = DriverManager.getConnection(args[0], "postgres", "postgres")) {
            try {
                c.createStatement().execute("create database " + args[1]);
            } catch (SQLException exists) {
                if (!"42P04".equals(exists.getSQLState())) {
                    throw exists;
                }
            }
        }
    }
}
