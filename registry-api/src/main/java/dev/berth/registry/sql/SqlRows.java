package dev.berth.registry.sql;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reading results of the reactive SQL client (the paths that bypass Hibernate, see UploadSessionRepository). */
public final class SqlRows {
    private SqlRows() {
    }

    /** The first row mapped, or {@code null} when there is none. */
    public static <T> T firstOrNull(RowSet<Row> rows, Function<Row, T> mapper) {
        return rows.rowCount() == 0 ? null : mapper.apply(rows.iterator().next());
    }

    /** The first column of every row, as strings. */
    public static List<String> strings(RowSet<Row> rows) {
        List<String> values = new ArrayList<>(rows.rowCount());
        rows.forEach(row -> values.add(row.getString(0)));
        return values;
    }
}
