package dev.berth.gc.collector.mark;

import static dev.berth.gc.sql.Transactions.await;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * The SQL of the mark: set-based anti-joins over a slice of repositories (links) or of blobs (blob rows), each
 * inserting into the candidate queue what looks unused, due when its grace period ends. Each statement answers the
 * slice's last key (null: nothing left) and how many candidates it queued.
 */
@ApplicationScoped
public class MarkRepository {

    /** One slice's outcome: where the next starts ({@code null}: done) and how many candidates were queued. */
    public record Slice(Object last, long queued) {
    }

    /*
     * Links of a slice of repositories that no manifest of their repository references: the manifests' references
     * of those repositories are gathered once (a hash of the slice's references), the links anti-joined to them.
     */
    private static final String LINKS = "with slice as (select id from repository where id > $1 order by id limit $2), "
            + "used as (select distinct m.repository_id, r.digest from slice s join manifest m on m.repository_id = s.id "
            + "  join manifest_reference r on r.manifest_id = m.id), "
            + "queued as (insert into gc_link_candidate (repository_id, digest, not_before) "
            + "  select l.repository_id, l.digest, "
            + "    greatest(l.last_touched_at, b.last_touched_at) + $3::int8 * interval '1 millisecond' "
            + "  from slice s join repository_blob l on l.repository_id = s.id join blob b on b.digest = l.digest "
            + "  where not exists (select 1 from used u where u.repository_id = l.repository_id and u.digest = l.digest) "
            + "  on conflict do nothing returning 1) "
            + "select (select max(id) from slice), (select count(*) from queued)";

    /*
     * Blobs of a slice (digest order) that no repository links, no manifest references and no pending deletion names.
     */
    private static final String BLOBS = "with slice as (select digest, last_touched_at from blob where digest > $1 "
            + "  order by digest limit $2), "
            + "queued as (insert into gc_blob_candidate (digest, not_before) "
            + "  select s.digest, s.last_touched_at + $3::int8 * interval '1 millisecond' from slice s "
            + "  where not exists (select 1 from repository_blob l where l.digest = s.digest) "
            + "    and not exists (select 1 from manifest_reference r where r.digest = s.digest) "
            + "    and not exists (select 1 from gc_pending_object p where p.digest = s.digest) "
            + "  on conflict do nothing returning 1) "
            + "select (select max(digest) from slice), (select count(*) from queued)";

    /** Queues the unreferenced links of up to {@code repositories} repositories with an id above {@code after}. */
    public Slice links(SqlConnection tx, long after, int repositories, Duration grace) {
        Row row = await(tx.preparedQuery(LINKS).execute(Tuple.of(after, repositories, grace.toMillis()))).iterator().next();
        return new Slice(row.getLong(0), row.getLong(1));
    }

    /** Queues the unused blobs among up to {@code blobs} blobs with a digest above {@code after}. */
    public Slice blobs(SqlConnection tx, String after, int blobs, Duration grace) {
        Row row = await(tx.preparedQuery(BLOBS).execute(Tuple.of(after, blobs, grace.toMillis()))).iterator().next();
        return new Slice(row.getString(0), row.getLong(1));
    }
}
