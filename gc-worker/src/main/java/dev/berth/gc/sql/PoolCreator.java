package dev.berth.gc.sql;

import dev.berth.core.sql.PoolTimeouts;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The reactive pool as Quarkus configures it ({@code quarkus.datasource.*}) with registry-core's PoolTimeouts:
 * bounded connecting and no pool-wait timer, so that the worker loop fails fast while PostgreSQL is away and
 * logs no stack traces after it.
 */
@Singleton
public class PoolCreator implements PgPoolCreator {

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> databases = input.pgConnectOptionsList();
        return PgBuilder.pool().with(PoolTimeouts.apply(input.poolOptions(), databases, PoolTimeouts.CONNECT_TIMEOUT))
                .connectingTo(List.<SqlConnectOptions>copyOf(databases)).using(input.vertx()).build();
    }
}
