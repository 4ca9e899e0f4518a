package dev.berth.gc.collector.manifest;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a policy's {@link Decider} to one repository, safely against concurrent pushes (docs/garbage-collection.md,
 * "Rule 1"), in one transaction (READ COMMITTED):
 * <ol>
 * <li>a first decision (no locks) names the tag and manifest rows to delete;</li>
 * <li>those rows are locked {@code FOR UPDATE SKIP LOCKED}: a push that is tagging a manifest or referencing it as
 * a child holds a key-share/share lock on it, so it is skipped (kept this time); a push that comes later waits for
 * this transaction and then finds the manifest gone (registry-api stores it again, or refuses an index whose child
 * is missing);</li>
 * <li>the decision is made again by a new statement (fresh snapshot) over the locked rows only, every other manifest
 * counting as kept: a tag or index committed after the first look keeps what it names;</li>
 * <li>the decided tags and manifests are deleted with their {@code tag.deleted} and {@code manifest.deleted} outbox
 * rows (actor {@code gc-worker}). Deleting a manifest cascades to its references and tags; registry's trigger
 * queues the links of its blobs for the link and blob collectors.</li>
 * </ol>
 */
@ApplicationScoped
public class ManifestSweeper {
    public static final String ACTOR = "gc-worker";

    /** What one repository's pass deleted (or would delete, in a dry run). {@code skipped}: rows locked by others. */
    public record Outcome(long tags, long manifests, long bytes, long skipped) {
        public static final Outcome NONE = new Outcome(0, 0, 0, 0);

        public Outcome plus(Outcome o) {
            return new Outcome(tags + o.tags, manifests + o.manifests, bytes + o.bytes, skipped + o.skipped);
        }
    }

    private static final String LOCK_TAGS = "select id from tag where id = any($1) for update skip locked";
    private static final String LOCK_MANIFESTS = "select id from manifest where id = any($1) for update skip locked";

    private static final String DELETE_TAGS = """
            with d as (delete from tag t using manifest m, repository r where t.id = any($1) and m.id = t.manifest_id \
            and r.id = t.repository_id returning r.name as repository, t.name, m.digest, m.media_type, m.artifact_type, \
            m.size, m.subject_digest), \
            e as (insert into outbox (version, event_type, repository, digest, tag, media_type, artifact_type, size, \
            subject, actor) select 1, 'tag.deleted', d.repository, d.digest, d.name, d.media_type, d.artifact_type, \
            d.size, d.subject_digest, $2::text from d order by d.repository, d.name) \
            select count(*) from d\
            """;

    /* The freed bytes are computed from the statement's snapshot, i.e. with the references still there. */
    private static final String DELETE_MANIFESTS = "with " + ManifestGraph.FREED_BYTES + ", "
            + """
            d as (delete from manifest m using repository r where m.id = any($1) and r.id = m.repository_id \
            returning r.name as repository, m.digest, m.media_type, m.artifact_type, m.size, m.subject_digest), \
            e as (insert into outbox (version, event_type, repository, digest, media_type, artifact_type, size, subject, \
            actor) select 1, 'manifest.deleted', d.repository, d.digest, d.media_type, d.artifact_type, d.size, \
            d.subject_digest, $2::text from d order by d.repository, d.digest) \
            select (select count(*) from d), (select bytes from freed)\
            """;

    private static final String BYTES = "with " + ManifestGraph.FREED_BYTES + " select bytes from freed";

    private final Pool pool;
    private final PendingEvents pendingEvents;

    public ManifestSweeper(Pool pool, PendingEvents pendingEvents) {
        this.pool = pool;
        this.pendingEvents = pendingEvents;
    }

    /** One repository's pass: decides, locks, decides again, deletes; in a dry run only the first decision. */
    public Outcome sweep(boolean dryRun, Decider decider) {
        if (dryRun) {
            return Sql.inTransaction(pool, connection -> {
                Decision decision = decider.decide(connection, null, null);
                return new Outcome(decision.tags().size(), decision.manifests().size(),
                        freedBytes(connection, decision.manifests()), 0);
            });
        }
        Outcome outcome = Sql.inTransaction(pool, connection -> {
            Decision first = decider.decide(connection, null, null);
            if (first.isEmpty()) {
                return Outcome.NONE;
            }
            Locked locked = lock(connection, first);
            Decision decision = decider.decide(connection, locked.tags(), locked.manifests());
            return delete(connection, decision, first.tags().size() + first.manifests().size()
                    - locked.tags().length - locked.manifests().length);
        });
        if (outcome.tags() + outcome.manifests() > 0) {
            pendingEvents.committed();
        }
        return outcome;
    }

    /** The rows of {@code decision} this transaction could lock; the others are left to a later run. */
    public record Locked(Long[] tags, Long[] manifests) {
    }

    /** Statement 1 of Rule 1 (see the class comment). */
    public Locked lock(SqlConnection connection, Decision decision) {
        return new Locked(lockRows(connection, LOCK_TAGS, decision.tags()),
                lockRows(connection, LOCK_MANIFESTS, decision.manifests()));
    }

    /** Statement 3 of Rule 1: deletes what the re-check decided, with the events. */
    public Outcome delete(SqlConnection connection, Decision decision, long skipped) {
        long tags = 0;
        if (!decision.tags().isEmpty()) {
            tags = Sql.run(connection, DELETE_TAGS, Tuple.of(ids(decision.tags()), ACTOR)).iterator().next().getLong(0);
        }
        long manifests = 0;
        long bytes = 0;
        if (!decision.manifests().isEmpty()) {
            Row row = Sql.run(connection, DELETE_MANIFESTS, Tuple.of(ids(decision.manifests()), ACTOR)).iterator().next();
            manifests = row.getLong(0);
            bytes = row.getLong(1);
        }
        return new Outcome(tags, manifests, bytes, Math.max(0, skipped));
    }

    private static long freedBytes(SqlConnection connection, List<Long> manifests) {
        if (manifests.isEmpty()) {
            return 0;
        }
        return Sql.run(connection, BYTES, Tuple.of(ids(manifests))).iterator().next().getLong(0);
    }

    private static Long[] lockRows(SqlConnection connection, String sql, List<Long> ids) {
        if (ids.isEmpty()) {
            return new Long[0];
        }
        return Sql.longs(Sql.run(connection, sql, Tuple.of(ids(ids)))).toArray(Long[]::new);
    }

    static Long[] ids(List<Long> ids) {
        return ids.toArray(Long[]::new);
    }

    /** Repository ids and names matching a regular expression (see {@code GlobPatterns}), in name order. */
    public List<Repo> repositories(String regex) {
        List<Repo> repos = new ArrayList<>();
        pool.preparedQuery("select id, name from repository where name ~ $1 order by name").execute(Tuple.of(regex))
                .await().atMost(Sql.TIMEOUT)
                .forEach(row -> repos.add(new Repo(row.getLong(0), row.getString(1))));
        return repos;
    }

    public record Repo(long id, String name) {
    }

    /**
     * Throws when PostgreSQL does not accept {@code regex} (its syntax differs from Java's in corners such as
     * look-behind), so that a bad pattern fails its policy once instead of once per repository.
     */
    public void checkRegex(String regex) {
        if (regex != null) {
            pool.preparedQuery("select '' ~ $1").execute(Tuple.of(regex)).await().atMost(Sql.TIMEOUT);
        }
    }
}
