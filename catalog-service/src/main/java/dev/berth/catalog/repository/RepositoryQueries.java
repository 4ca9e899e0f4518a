package dev.berth.catalog.repository;

import dev.berth.catalog.paging.Like;
import dev.berth.catalog.paging.PageRequest;
import dev.berth.catalog.paging.Query;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads of {@code catalog.repository}, always filtered by what the caller may see. Each statement is written for
 * its case ({@link Query}): names in code point order ({@code collate "C"}, served by {@code repository_name_c}),
 * a caller's globs as ranges of that index, {@code q} through the trigram index.
 */
@ApplicationScoped
public class RepositoryQueries {
    /** Names in code point order, whatever the database's collation: the order of the index repository_name_c. */
    static final String NAME = "r.name collate \"C\"";

    /** Sort keys of the repository list and their order (each ends in the unique name). */
    public static final Map<String, String> SORTS = Map.of(
            "name", NAME,
            "-name", NAME + " desc",
            "lastPush", "r.last_push_at asc nulls first, r.name",
            "-lastPush", "r.last_push_at desc nulls last, r.name",
            "size", "r.size, r.name",
            "-size", "r.size desc, r.name");

    private final Pool pool;

    public RepositoryQueries(Pool pool) {
        this.pool = pool;
    }

    public Uni<List<RepositorySummary>> page(Caller caller, String q, PageRequest page) {
        Query query = filtered("select " + RepositorySummary.COLUMNS + " from catalog.repository r", caller, q);
        query.then("order by " + page.orderBy() + " limit " + query.param(page.size()) + " offset " + query.param(page.offset()));
        return query.execute(pool).map(RepositoryQueries::list);
    }

    /** How many the caller sees (with the same indexable filter as the page). */
    public Uni<Long> count(Caller caller, String q) {
        return filtered("select count(*) from catalog.repository r", caller, q).execute(pool)
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** The repository when it exists and the caller may see it. */
    public Uni<RepositorySummary> find(Caller caller, String name) {
        Query query = new Query("select " + RepositorySummary.COLUMNS + " from catalog.repository r");
        query.where("r.name = " + query.param(name));
        if (!caller.seesAll()) {
            // one row by its key: the regex alone is enough
            query.where("r.name ~ " + query.param(caller.visibleRegex()));
        }
        return query.execute(pool).map(rows -> rows.size() == 0 ? null : RepositorySummary.of(rows.iterator().next()));
    }

    /** Search: names containing {@code q}, those starting with it first. */
    public Uni<List<RepositorySummary>> search(Caller caller, String q, int limit) {
        Query query = filtered("select " + RepositorySummary.COLUMNS + " from catalog.repository r", caller, q);
        query.then("order by (r.name ilike " + query.param(Like.startsWith(q)) + ") desc, " + NAME + " limit " + query.param(limit));
        return query.execute(pool).map(RepositoryQueries::list);
    }

    private static Query filtered(String select, Caller caller, String q) {
        Query query = new Query(select).visibleTo(caller, "r.name");
        if (q != null && !q.isEmpty()) {
            query.where("r.name ilike " + query.param(Like.contains(q)));
        }
        return query;
    }

    private static List<RepositorySummary> list(Iterable<Row> rows) {
        List<RepositorySummary> out = new ArrayList<>();
        rows.forEach(row -> out.add(RepositorySummary.of(row)));
        return out;
    }
}
