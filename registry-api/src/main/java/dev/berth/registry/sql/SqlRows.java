package dev.berth.registry.sql;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reading results of the reactive SQL client, registry-api's one way to PostgreSQL. */
public final class SqlRows {
    private SqlRows() {
    }

    /** The first row mapped, or {@code null} when there is none. */
    public static <T> T firstOrNull(RowSet<Row> rows, Function<Row, T> mapper) {
        return rows.rowCount() == 0 ? null : mapper.apply(rows.iterator().next());
    }

    /** Every row mapped, in order. */
    public static <T> List<T> list(RowSet<Row> rows, Function<Row, T> mapper) {
        List<T> values = new ArrayList<>(rows.rowCount());
        rows.forEach(row -> values.add(mapper.apply(row)));
        return values;
    }

    /** The first column of every row, as strings. */
    public static List<String> strings(RowSet<Row> rows) {
        return list(rows, row -> row.getString(0));
    }
}
