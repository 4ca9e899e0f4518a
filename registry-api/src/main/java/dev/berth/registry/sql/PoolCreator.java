package dev.berth.registry.sql;

import dev.berth.core.sql.PoolTimeouts;
import dev.berth.registry.config.RegistryConfig;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Creates the reactive pool from the options Quarkus configured ({@code quarkus.datasource.*}), with one
 * change: the client caches prepared statements up to {@value #STATEMENT_CACHE_SQL_LIMIT} characters of
 * SQL instead of 2048. The manifest push is one longer statement (manifest.ManifestRepository); above the
 * limit the client prepared it again for every execution (one more round trip) and PostgreSQL planned it
 * again every time (~0.5 ms, more than executing it). An unreachable PostgreSQL gives quick 503s, not hanging
 * requests: connecting is bounded by {@code registry.database.connect-timeout} (registry-core's PoolTimeouts).
 */
@Singleton
public class PoolCreator implements PgPoolCreator {
    static final int STATEMENT_CACHE_SQL_LIMIT = 8192;

    private final RegistryConfig.Database config;

    public PoolCreator(RegistryConfig config) {
        this.config = config.database();
    }

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> databases = input.pgConnectOptionsList();
        databases.forEach(options -> options.setPreparedStatementCacheSqlLimit(STATEMENT_CACHE_SQL_LIMIT));
        PoolOptions pool = PoolTimeouts.apply(input.poolOptions(), databases, config.connectTimeout());
        return PgBuilder.pool().with(pool).connectingTo(List.<SqlConnectOptions>copyOf(databases)).using(input.vertx()).build();
    }
}
