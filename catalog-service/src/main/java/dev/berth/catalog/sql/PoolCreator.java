package dev.berth.catalog.sql;

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
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(List.<SqlConnectOptions>copyOf(databases))
                .using(input.vertx()).build();
    }
}
