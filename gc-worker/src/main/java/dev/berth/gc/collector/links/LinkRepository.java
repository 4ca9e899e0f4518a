package dev.berth.gc.collector.links;

import static dev.berth.gc.sql.Transactions.await;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The SQL of the links collector: the queue {@code gc_link_candidate} and the links ({@code repository_blob}). */
@ApplicationScoped
public class LinkRepository {

    /** A queued link: repository id and blob digest. */
    public record Candidate(long repositoryId, String digest) {
    }

    /**
     * What the re-check found of a candidate. {@code linkId} null: no such link (any more). {@code due}: when both the
     * link and its blob are past the grace period.
     */
    public record Check(Candidate candidate, Long linkId, String repository, long size, boolean referenced,
            boolean inGrace, OffsetDateTime due, boolean lastLink) {
    }

    private static final String CLAIM = "select repository_id, digest from gc_link_candidate where not_before <= now() "
            + "order by not_before limit $1 for update skip locked";

    private static final String LOCK = "select l.id from repository_blob l "
            + "join unnest($1::int8[], $2::text[]) c(repository_id, digest) "
            + "on l.repository_id = c.repository_id and l.digest = c.digest "
            + "order by l.id for update of l skip locked";

    /*
     * The decision, in its own statement (a snapshot newer than the locks): the link is garbage when no manifest of
     * its repository references the digest and neither the link nor the blob was touched within the grace period.
     */
    private static final String CHECK = "select c.repository_id, c.digest, l.id, r.name, b.size, "
            + "exists (select 1 from manifest_reference mr join manifest m on m.id = mr.manifest_id "
            + "  where mr.digest = l.digest and m.repository_id = l.repository_id) as referenced, "
            + "greatest(l.last_touched_at, b.last_touched_at) + $3::int8 * interval '1 millisecond' as due, "
            + "greatest(l.last_touched_at, b.last_touched_at) + $3::int8 * interval '1 millisecond' > now() as in_grace, "
            + "not exists (select 1 from repository_blob o where o.digest = l.digest and o.id <> l.id) as last_link "
            + "from unnest($1::int8[], $2::text[]) c(repository_id, digest) "
            + "left join repository_blob l on l.repository_id = c.repository_id and l.digest = c.digest "
            + "left join blob b on b.digest = l.digest "
            + "left join repository r on r.id = l.repository_id";

    private static final String PAGE = "select repository_id, digest from gc_link_candidate "
            + "where not_before <= now() and (repository_id, digest) > ($1, $2) "
            + "order by repository_id, digest limit $3";

    private static final String DELETE_LINKS = "delete from repository_blob where id = any($1::int8[])";

    private static final String DROP = "delete from gc_link_candidate c using unnest($1::int8[], $2::text[]) u(r, d) "
            + "where c.repository_id = u.r and c.digest = u.d";

    private static final String POSTPONE = "update gc_link_candidate c set not_before = u.t "
            + "from unnest($1::int8[], $2::text[], $3::timestamptz[]) u(r, d, t) "
            + "where c.repository_id = u.r and c.digest = u.d";

    /** Statement 1: locks up to {@code limit} due candidates no other collector holds. */
    public List<Candidate> claim(SqlConnection tx, int limit) {
        List<Candidate> claimed = new ArrayList<>();
        for (Row row : await(tx.preparedQuery(CLAIM).execute(Tuple.of(limit)))) {
            claimed.add(new Candidate(row.getLong(0), row.getString(1)));
        }
        return claimed;
    }

    /** The due candidates after {@code after} in key order, without locks (dry runs page through the queue). */
    public List<Candidate> page(SqlConnection tx, Candidate after, int limit) {
        List<Candidate> page = new ArrayList<>();
        for (Row row : await(tx.preparedQuery(PAGE).execute(Tuple.of(after.repositoryId(), after.digest(), limit)))) {
            page.add(new Candidate(row.getLong(0), row.getString(1)));
        }
        return page;
    }

    /** Statement 2: locks the links of {@code candidates} that nobody else holds; returns their ids. */
    public Set<Long> lock(SqlConnection tx, List<Candidate> candidates) {
        Set<Long> locked = new HashSet<>();
        for (Row row : await(tx.preparedQuery(LOCK).execute(keys(candidates)))) {
            locked.add(row.getLong(0));
        }
        return locked;
    }

    /** Statement 3: every condition again, in a fresh snapshot. */
    public List<Check> check(SqlConnection tx, List<Candidate> candidates, Duration grace) {
        List<Check> checks = new ArrayList<>();
        for (Row row : await(tx.preparedQuery(CHECK).execute(keys(candidates).addLong(grace.toMillis())))) {
            Candidate c = new Candidate(row.getLong(0), row.getString(1));
            Long id = row.getLong(2);
            checks.add(id == null ? new Check(c, null, null, 0, false, false, null, false)
                    : new Check(c, id, row.getString(3), row.getLong(4), row.getBoolean(5), row.getBoolean(7),
                            row.getOffsetDateTime(6), row.getBoolean(8)));
        }
        return checks;
    }

    public void deleteLinks(SqlConnection tx, List<Long> ids) {
        if (!ids.isEmpty()) {
            await(tx.preparedQuery(DELETE_LINKS).execute(Tuple.of(ids.toArray(Long[]::new))));
        }
    }

    /** Removes decided candidates from the queue. */
    public void drop(SqlConnection tx, List<Candidate> candidates) {
        if (!candidates.isEmpty()) {
            await(tx.preparedQuery(DROP).execute(keys(candidates)));
        }
    }

    /** Sets when each candidate is looked at again. */
    public void postpone(SqlConnection tx, List<Candidate> candidates, List<OffsetDateTime> notBefore) {
        if (!candidates.isEmpty()) {
            await(tx.preparedQuery(POSTPONE).execute(keys(candidates)
                    .addArrayOfOffsetDateTime(notBefore.toArray(OffsetDateTime[]::new))));
        }
    }

    private static Tuple keys(List<Candidate> candidates) {
        Long[] repositories = new Long[candidates.size()];
        String[] digests = new String[candidates.size()];
        for (int i = 0; i < candidates.size(); i++) {
            repositories[i] = candidates.get(i).repositoryId();
            digests[i] = candidates.get(i).digest();
        }
        return Tuple.tuple().addArrayOfLong(repositories).addArrayOfString(digests);
    }
}
