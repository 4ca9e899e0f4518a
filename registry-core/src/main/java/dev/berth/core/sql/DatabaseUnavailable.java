package dev.berth.core.sql;

import io.vertx.core.VertxException;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * Tells failures that mean "PostgreSQL cannot be reached right now" (server stopped, restarting, out of
 * connections, network gone) apart from real errors: the former are answered {@code 503 UNAVAILABLE} and
 * the client may retry; the reactive pool opens new connections by itself once the server is back.
 */
public final class DatabaseUnavailable {
    /**
     * SQLSTATEs of an unreachable or stopping server: class 08 (connection exception) is matched by prefix;
     * 57P01..57P03 admin/crash shutdown and "cannot connect now" (starting up or shutting down); 53300 too many
     * connections.
     */
    private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03", "53300");
    /** The reactive pool's failure when no connection was free within its connection timeout. */
    private static final String POOL_TIMEOUT = "Timeout waiting for connection";

    private DatabaseUnavailable() {
    }

    /** Whether {@code failure} (or one of its causes) says the database is out of reach. */
    public static boolean is(Throwable failure) {
        return cause(failure) != null;
    }

    /** The cause that says the database is out of reach, or null. */
    public static Throwable cause(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
                    || t instanceof ClosedConnectionException) {
                return t;
            }
            if (t instanceof SocketException && String.valueOf(t.getMessage()).startsWith("Connection reset")) {
                return t;
            }
            if (t instanceof DatabaseException db && db.getSqlState() != null
                    && (db.getSqlState().startsWith("08") || STATES.contains(db.getSqlState()))) {
                return t;
            }
            if (t instanceof VertxException && POOL_TIMEOUT.equals(t.getMessage())) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** One line for the log: the class and message of the cause, no stack trace. */
    public static String describe(Throwable failure) {
        Throwable t = cause(failure);
        if (t == null) {
            t = failure;
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
