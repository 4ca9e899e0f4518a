package dev.berth.catalog.paging;

import dev.berth.catalog.visibility.Caller;
import dev.berth.core.name.GlobPatterns;
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
     * Only the repositories {@code caller} may see, by the name in {@code column}: nothing to add for a caller who
     * sees all; otherwise, per glob, the names starting with its literal prefix as a range of the index on
     * {@code name collate "C"} (code point order), checked against the glob's regex only when the glob has more
     * than a trailing {@code **} (then the range alone is exact). A glob that starts with a wildcard has no range:
     * then the whole regex is applied to every name.
     */
    public Query visibleTo(Caller caller, String column) {
        if (caller.seesAll()) {
            return this;
        }
        List<String> globs = caller.globs();
        if (globs == null || globs.isEmpty()) {
            return caller.visibleRegex().equals(GlobPatterns.NOTHING) ? where("false")
                    : where(column + " ~ " + param(caller.visibleRegex()));
        }
        List<String> any = new ArrayList<>();
        for (String glob : globs) {
            int star = glob.indexOf('*');
            if (star == 0) {
                return where(column + " ~ " + param(caller.visibleRegex()));
            }
            if (star < 0) {
                any.add(column + " = " + param(glob));
                continue;
            }
            String prefix = glob.substring(0, star);
            String upper = GlobPatterns.upperBound(prefix);
            String range = column + " collate \"C\" >= " + param(prefix)
                    + (upper == null ? "" : " and " + column + " collate \"C\" < " + param(upper));
            any.add(glob.substring(star).equals("**") ? range
                    : "(" + range + " and " + column + " ~ " + param(GlobPatterns.toRegex(List.of(glob))) + ")");
        }
        return where(any.size() == 1 ? any.get(0) : "(" + String.join(" or ", any) + ")");
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
