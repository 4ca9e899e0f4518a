package dev.berth.catalog.sql;

import dev.berth.core.sql.PoolTimeouts;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The reactive pool as Quarkus configures it ({@code quarkus.datasource.*}), but caching prepared statements of
 * up to {@value #STATEMENT_CACHE_SQL_LIMIT} characters instead of 2048: the manifest projection
 * (projection/Projection) is longer, and above the limit it was prepared and planned again for every event.
 */
@Singleton
public class PoolCreator implements PgPoolCreator {
    static final int STATEMENT_CACHE_SQL_LIMIT = 16384;

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> databases = input.pgConnectOptionsList();
        databases.forEach(options -> options.setPreparedStatementCacheSqlLimit(STATEMENT_CACHE_SQL_LIMIT));
        // bounded connecting, no pool-wait timer (registry-core's PoolTimeouts: quick failures while PostgreSQL is away)
        return PgBuilder.pool().with(PoolTimeouts.apply(input.poolOptions(), databases, PoolTimeouts.CONNECT_TIMEOUT)).connectingTo(List.<SqlConnectOptions>copyOf(databases))
                .using(input.vertx()).build();
    }
}
