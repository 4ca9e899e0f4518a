package dev.berth.catalog.paging;

import dev.berth.catalog.visibility.Caller;
import dev.berth.catalog.visibility.GlobPatterns;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * One SQL statement built for the case at hand, with numbered parameters: only the conditions that apply are
 * written (never {@code $1 is null or …}, which makes PostgreSQL plan for every case at once and scan the whole
 * table), so each distinct statement gets a plan that uses the indexes for its case.
 */
public final class Query {
    private final StringBuilder text;
    private final Tuple params = Tuple.tuple();
    private final List<String> conditions = new ArrayList<>();
    private int count;

    public Query(String start) {
        this.text = new StringBuilder(start);
    }

    /** A parameter's placeholder ({@code $n}) for {@code value}. */
    public String param(Object value) {
        params.addValue(value);
        return "$" + ++count;
    }

    /** A condition of the {@code where} clause (all are and-ed). */
    public Query where(String condition) {
        conditions.add(condition);
        return this;
    }

    /**
     * Only the repositories {@code caller} may see, by the name in {@code column}: nothing to add for a caller
     * who sees all; otherwise the glob prefixes as index ranges in code point order (the index on
     * {@code name collate "C"}), and the regex for the rest of each glob.
     */
    public Query visibleTo(Caller caller, String column) {
        if (caller.seesAll()) {
            return this;
        }
        if (caller.visibleRegex().equals(GlobPatterns.NOTHING)) {
            return where("false");
        }
        List<String> prefixes = caller.prefixes();
        if (prefixes != null && !prefixes.isEmpty()) {
            List<String> ranges = new ArrayList<>();
            for (String prefix : prefixes) {
                String upper = GlobPatterns.upperBound(prefix);
                String range = column + " collate \"C\" >= " + param(prefix);
                ranges.add(upper == null ? range : range + " and " + column + " collate \"C\" < " + param(upper));
            }
            where(ranges.size() == 1 ? ranges.get(0) : "(" + String.join(" or ", ranges) + ")");
        }
        return where(column + " ~ " + param(caller.visibleRegex()));
    }

    /** Appends text after the {@code where} clause (order by, limit…). */
    public Query then(String more) {
        closeWhere();
        text.append(' ').append(more);
        return this;
    }

    private void closeWhere() {
        if (!conditions.isEmpty()) {
            text.append(" where ").append(String.join(" and ", conditions));
            conditions.clear();
        }
    }

    public String sql() {
        closeWhere();
        return text.toString();
    }

    public Tuple params() {
        return params;
    }

    public Uni<RowSet<Row>> execute(Pool pool) {
        String sql = sql();
        return pool.preparedQuery(sql).execute(params);
    }
}
