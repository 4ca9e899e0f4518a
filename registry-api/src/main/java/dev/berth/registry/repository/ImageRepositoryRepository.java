package dev.berth.registry.repository;

import dev.berth.core.event.RegistryEvent;
import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Repositories by name. Creation is race-free across replicas ({@code insert ... on conflict do nothing})
 * and writes its {@code repository.created} event in the same statement. Statements that create a
 * repository on the way (a mount, a manifest push) do the same inside their own SQL.
 */
@ApplicationScoped
public class ImageRepositoryRepository {

    /**
     * Creates the repository, with its {@code repository.created} event, in the transaction of {@code tx};
     * nothing if it exists (also when another replica just created it). One statement.
     */
    public Uni<Void> createIfMissing(SqlClient tx, String name) {
        return tx.preparedQuery("with created as (insert into repository (name) values ($1) "
                + "on conflict (name) do nothing returning name) "
                + "insert into outbox (event_type, repository) select '" + RegistryEvent.REPOSITORY_CREATED
                + "', name from created")
                .execute(Tuple.of(name))
                .replaceWithVoid();
    }

    /** Whether the repository exists, in the transaction of {@code tx}. */
    public Uni<Boolean> exists(SqlClient tx, String name) {
        return tx.preparedQuery("select 1 from repository where name = $1").execute(Tuple.of(name))
                .map(rows -> rows.rowCount() > 0);
    }

    /** One page of repository names in byte order, after {@code last}. */
    public Uni<List<String>> namesAfter(SqlClient sql, String last, int limit) {
        return sql.preparedQuery("select name from repository where name collate \"C\" > $1 "
                + "order by name collate \"C\" limit $2")
                .execute(Tuple.of(last == null ? "" : last, limit))
                .map(SqlRows::strings);
    }
}
