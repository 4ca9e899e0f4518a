package dev.berth.registry.sql;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Creates the reactive pool from the options Quarkus configured ({@code quarkus.datasource.*}), with one
 * change: the client caches prepared statements up to {@value #STATEMENT_CACHE_SQL_LIMIT} characters of
 * SQL instead of 2048. The manifest push is one longer statement (manifest.ManifestRepository); above the
 * limit the client prepared it again for every execution (one more round trip) and PostgreSQL planned it
 * again every time (~0.5 ms, more than executing it).
 */
@Singleton
public class PoolCreator implements PgPoolCreator {
    static final int STATEMENT_CACHE_SQL_LIMIT = 8192;

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> databases = input.pgConnectOptionsList();
        databases.forEach(options -> options.setPreparedStatementCacheSqlLimit(STATEMENT_CACHE_SQL_LIMIT));
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(List.<SqlConnectOptions>copyOf(databases)).using(input.vertx()).build();
    }
}
