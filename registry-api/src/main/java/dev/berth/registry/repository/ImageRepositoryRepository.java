package dev.berth.registry.repository;

import dev.berth.core.event.RegistryEvent;
import dev.berth.registry.outbox.OutboxRepository;
import dev.berth.registry.sql.SqlRows;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Repositories by name; creation is race-free across replicas (insert ... on conflict do nothing). */
@ApplicationScoped
public class ImageRepositoryRepository implements PanacheRepositoryBase<ImageRepository, Long> {
    private final OutboxRepository outbox;
    private final Pool sql;

    public ImageRepositoryRepository(OutboxRepository outbox, Pool sql) {
        this.outbox = outbox;
        this.sql = sql;
    }

    public Uni<ImageRepository> findByName(String name) {
        return find("name", name).firstResult();
    }

    /** The repository with this name, created (with a {@code repository.created} event) if missing. */
    public Uni<ImageRepository> getOrCreate(String name) {
        // look first: every upload after a repository's first finds it with one statement
        return findByName(name).chain(found -> found != null ? Uni.createFrom().item(found) : create(name));
    }

    private Uni<ImageRepository> create(String name) {
        return getSession()
                // a statement without results: its plan is cached once (see BlobRepository#lockLinked)
                .chain(s -> s.createNativeQuery("insert into repository (name) values (:name) on conflict (name) do nothing")
                        .setParameter("name", name).executeUpdate())
                .chain(created -> created == 0
                        ? Uni.createFrom().voidItem()
                        : outbox.append(RegistryEvent.REPOSITORY_CREATED, name, null, null, null))
                .chain(() -> findByName(name));
    }

    /**
     * Creates the repository on the reactive SQL client, with its {@code repository.created} event, in
     * the transaction of {@code sql}; nothing if it exists (also when another replica just created it).
     */
    public Uni<Void> createIfMissing(SqlClient sql, String name) {
        return sql.preparedQuery("insert into repository (name) values ($1) on conflict (name) do nothing")
                .execute(Tuple.of(name))
                .chain(rows -> rows.rowCount() == 0
                        ? Uni.createFrom().voidItem()
                        : outbox.append(sql, RegistryEvent.REPOSITORY_CREATED, name, null, null, null));
    }

    /** Whether the repository exists, in the transaction of {@code tx}. */
    public Uni<Boolean> exists(SqlClient tx, String name) {
        return tx.preparedQuery("select 1 from repository where name = $1").execute(Tuple.of(name))
                .map(rows -> rows.rowCount() > 0);
    }

    /**
     * One page of repository names in byte order, after {@code last}: on the reactive SQL client, as a
     * native select through Hibernate would add a query plan per call (see BlobRepository#lockLinked).
     */
    public Uni<List<String>> namesAfter(String last, int limit) {
        return sql.preparedQuery("select name from repository where name collate \"C\" > $1 "
                + "order by name collate \"C\" limit $2")
                .execute(Tuple.of(last == null ? "" : last, limit))
                .map(SqlRows::strings);
    }
}
