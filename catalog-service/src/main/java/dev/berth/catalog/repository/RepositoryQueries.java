package dev.berth.catalog.repository;

import dev.berth.catalog.paging.Like;
import dev.berth.catalog.paging.PageRequest;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads of {@code catalog.repository}, always filtered by what the caller may see. */
@ApplicationScoped
public class RepositoryQueries {
    /** Sort keys of the repository list and their order (each ends in the unique name). */
    public static final Map<String, String> SORTS = Map.of(
            "name", "r.name",
            "-name", "r.name desc",
            "lastPush", "r.last_push_at asc nulls first, r.name",
            "-lastPush", "r.last_push_at desc nulls last, r.name",
            "size", "r.size, r.name",
            "-size", "r.size desc, r.name");

    /** {@code $1}: the caller's visibility regex (null: all); {@code $2}: a LIKE pattern (null: any). */
    static final String FILTER = "($1::text is null or r.name ~ $1) and ($2::text is null or r.name ilike $2)";

    private final Pool pool;

    public RepositoryQueries(Pool pool) {
        this.pool = pool;
    }

    public Uni<List<RepositorySummary>> page(Caller caller, String q, PageRequest page) {
        String sql = "select " + RepositorySummary.COLUMNS + " from catalog.repository r where " + FILTER
                + " order by " + page.orderBy() + " limit $3 offset $4";
        return pool.preparedQuery(sql).execute(Tuple.of(caller.visibleRegex(), pattern(q), page.size(), page.offset()))
                .map(RepositoryQueries::list);
    }

    public Uni<Long> count(Caller caller, String q) {
        return pool.preparedQuery("select count(*) from catalog.repository r where " + FILTER)
                .execute(Tuple.of(caller.visibleRegex(), pattern(q))).map(rows -> rows.iterator().next().getLong(0));
    }

    /** The repository when it exists and the caller may see it. */
    public Uni<RepositorySummary> find(Caller caller, String name) {
        return pool.preparedQuery("select " + RepositorySummary.COLUMNS
                        + " from catalog.repository r where r.name = $2 and ($1::text is null or r.name ~ $1)")
                .execute(Tuple.of(caller.visibleRegex(), name))
                .map(rows -> rows.size() == 0 ? null : RepositorySummary.of(rows.iterator().next()));
    }

    /** Search: names containing {@code q}, those starting with it first. */
    public Uni<List<RepositorySummary>> search(Caller caller, String q, int limit) {
        String sql = "select " + RepositorySummary.COLUMNS + " from catalog.repository r where " + FILTER
                + " order by (r.name ilike $3) desc, r.name limit $4";
        return pool.preparedQuery(sql).execute(Tuple.of(caller.visibleRegex(), Like.contains(q), Like.startsWith(q), limit))
                .map(RepositoryQueries::list);
    }

    private static String pattern(String q) {
        return q == null || q.isEmpty() ? null : Like.contains(q);
    }

    private static List<RepositorySummary> list(Iterable<Row> rows) {
        List<RepositorySummary> out = new ArrayList<>();
        rows.forEach(row -> out.add(RepositorySummary.of(row)));
        return out;
    }
}
