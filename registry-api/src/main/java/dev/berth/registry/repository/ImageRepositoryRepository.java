package dev.berth.registry.repository;

import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Repositories by name. Creation is race-free across replicas ({@code insert ... on conflict do nothing}) and
 * tells whether this statement created the repository, so that exactly one caller writes its
 * {@code repository.created} event. Statements that create a repository on the way (a mount, a manifest push) do
 * the same inside their own SQL.
 */
@ApplicationScoped
public class ImageRepositoryRepository {

    /**
     * Creates the repository in the transaction of {@code tx}; nothing if it exists (also when another replica just
     * created it). One statement; true when it created the repository.
     */
    public Uni<Boolean> createIfMissing(SqlClient tx, String name) {
        return tx.preparedQuery("insert into repository (name) values ($1) on conflict (name) do nothing")
                .execute(Tuple.of(name))
                .map(rows -> rows.rowCount() > 0);
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

    /**
     * Locks the repository named {@code name} for its deletion until {@code tx} ends; its id, or null. {@code FOR
     * UPDATE} waits for writers that already reference it (their foreign-key checks hold {@code FOR KEY SHARE}) and
     * makes new ones wait, so the next statement sees everything the repository will ever have held.
     */
    public Uni<Long> lockForDelete(SqlClient tx, String name) {
        return tx.preparedQuery("select id from repository where name = $1 for update").execute(Tuple.of(name))
                .map(rows -> SqlRows.firstOrNull(rows, row -> row.getLong(0)));
    }

    /** What a deleted repository held that lives on outside PostgreSQL: cached tags and manifests, upload objects. */
    public record Deleted(List<String> tags, List<String> manifests, List<String> uploadHandles) {
    }

    /**
     * Deletes a repository locked by {@link #lockForDelete} with everything in it (tags, manifests, blob links and
     * upload sessions go with it: on delete cascade); blobs stay for garbage collection. One statement.
     */
    public Uni<Deleted> delete(SqlClient tx, long id) {
        return tx.preparedQuery("with gone as (delete from repository where id = $1) "
                + "select array(select name from tag where repository_id = $1), "
                + "array(select digest from manifest where repository_id = $1), "
                + "array(select storage_handle from upload_session where repository_id = $1)")
                .execute(Tuple.of(id))
                .map(rows -> {
                    var row = rows.iterator().next();
                    return new Deleted(List.of(row.getArrayOfStrings(0)), List.of(row.getArrayOfStrings(1)),
                            List.of(row.getArrayOfStrings(2)));
                });
    }
}
