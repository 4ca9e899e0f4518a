package dev.berth.registry.tag;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading tags. Tags are written by the statements that push and delete manifests
 * (manifest.ManifestRepository), in the transaction of that change.
 */
@ApplicationScoped
public class TagRepository {

    /**
     * Tag names of the repository named {@code repository} in byte order after {@code last}, at most
     * {@code limit}; {@code null} when there is no such repository. One statement.
     */
    public Uni<List<String>> namesAfter(SqlClient sql, String repository, String last, int limit) {
        return sql.preparedQuery("select t.name from repository r left join lateral (select name from tag "
                + "where repository_id = r.id and name collate \"C\" > $2 order by name collate \"C\" limit $3) t "
                + "on true where r.name = $1")
                .execute(Tuple.of(repository, last == null ? "" : last, limit))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        return null;
                    }
                    List<String> names = new ArrayList<>(rows.rowCount());
                    // the repository's row alone (a null name) when it has no tag on this page
                    rows.forEach(row -> {
                        if (row.getString(0) != null) {
                            names.add(row.getString(0));
                        }
                    });
                    return names;
                });
    }
}
