package dev.berth.registry.referrer;

import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** The manifests that name a subject (rows of {@code manifest} with {@code subject_digest}). */
@ApplicationScoped
public class ReferrerRepository {

    /** A manifest pointing at a subject, as the referrers index lists it. */
    public record Referrer(String mediaType, String digest, long size, String artifactType, String annotations) {
    }

    /**
     * Manifests of the repository named {@code repository} whose subject is {@code subject}, optionally of
     * one artifact type, in push order; empty when the repository does not exist. One statement.
     */
    public Uni<List<Referrer>> referrers(SqlClient sql, String repository, String subject, String artifactType) {
        return sql.preparedQuery("select m.media_type, m.digest, m.size, m.artifact_type, m.annotations "
                + "from manifest m join repository r on r.id = m.repository_id where r.name = $1 "
                + "and m.subject_digest = $2 and ($3::text is null or m.artifact_type = $3) order by m.id")
                .execute(Tuple.of(repository, subject, artifactType))
                .map(rows -> SqlRows.list(rows, row -> new Referrer(row.getString(0), row.getString(1), row.getLong(2),
                        row.getString(3), row.getString(4))));
    }
}
