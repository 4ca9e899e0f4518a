package dev.berth.core.sql;

import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import java.time.Duration;
import java.util.List;

/**
 * The time limits every service's reactive PostgreSQL pool gets, so that an unreachable database gives quick
 * failures (503 UNAVAILABLE) instead of hanging requests, and no stack traces after it.
 *
 * <p>Connecting is bounded by {@code connectTimeout} (Vert.x: 60 s; a server that refuses fails at once). The
 * wait for a free connection is not bounded: in Vert.x 4.5.27 a pooled query whose connection attempt fails
 * leaves that wait's timer running, and when it fires it logs an uncaught "Result is already complete" stack
 * trace, one per failed query, seconds after every outage. During an outage attempts fail at once (refused)
 * or after the connect timeout, so nobody waits long for a free connection.
 */
public final class PoolTimeouts {
    /** The default connect timeout of the services. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private PoolTimeouts() {
    }

    /** Applies the limits to Quarkus' pool options and connect options; returns {@code pool}. */
    public static PoolOptions apply(PoolOptions pool, List<? extends SqlConnectOptions> databases, Duration connectTimeout) {
        databases.forEach(options -> options.setConnectTimeout((int) connectTimeout.toMillis()));
        return pool.setConnectionTimeout(0);
    }
}
