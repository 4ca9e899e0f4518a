package dev.berth.gc.collector.retention;

import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import dev.berth.gc.collector.manifest.Decision;
import dev.berth.gc.collector.manifest.ManifestGraph;
import dev.berth.gc.collector.manifest.ManifestSweeper;
import dev.berth.gc.collector.manifest.ManifestSweeper.Outcome;
import dev.berth.gc.collector.manifest.ManifestSweeper.Repo;
import dev.berth.gc.collector.manifest.Sql;
import dev.berth.gc.config.GcConfig;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * {@code retention}: applies each {@code gc.retention."<name>".*} policy to the repositories it names. Candidate tags
 * match {@code include} (default: all) and not {@code exclude} (default: {@code latest} and releases
 * {@code v?MAJOR.MINOR.PATCH}); of those, a tag is deleted when it is not among the newest {@code keep-last} (by
 * tag.updated_at, the time it was last pushed or moved) and older than {@code older-than} (each limit applies when
 * set). Then the manifests that lost their last tag by this are deleted, with their untagged children and
 * referrers, unless kept (see {@link ManifestGraph}: a tag, a kept index, a kept referrer or subject). Untagged
 * manifests that were untagged before are left to the {@code untagged} collector.
 */
@ApplicationScoped
public class RetentionCollector implements Collector {
    public static final String NAME = "retention";
    private static final Logger LOG = Logger.getLogger(RetentionCollector.class);

    /*
     * $1 repository, $2 include regex, $3 exclude regex, $4 keep-last, $5 age limit (nulls: none), $6 locked tags,
     * $7 locked manifests (nulls: any).
     *   tags      the candidate tags, newest first
     *   del_tags  the tags to delete
     *   reach     the manifests left without a tag by that, and their children and referrers that have no other tag
     *   cand      those of them this transaction may delete
     */
    static final String DECIDE = """
            with recursive \
            tags as (select t.id, t.manifest_id, t.updated_at, row_number() over (order by t.updated_at desc, t.id desc) \
            as rank from tag t where t.repository_id = $1 and ($2::text is null or t.name ~ $2) \
            and ($3::text is null or t.name !~ $3)), \
            del_tags as materialized (select id, manifest_id from tags where ($4::int4 is null or rank > $4) \
            and ($5::timestamptz is null or updated_at < $5) and ($6::int8[] is null or id = any($6))), \
            reach(id, digest, repository_id, subject_digest) as (\
            select m.id, m.digest, m.repository_id, m.subject_digest from manifest m \
            where m.id in (select manifest_id from del_tags) and not exists (select 1 from tag t \
            where t.repository_id = m.repository_id and t.manifest_id = m.id and t.id not in (select id from del_tags)) \
            union \
            select x.id, x.digest, x.repository_id, x.subject_digest from reach k cross join lateral (\
            select c.id, c.digest, c.repository_id, c.subject_digest from manifest_reference r join manifest c \
            on c.repository_id = k.repository_id and c.digest = r.digest where r.manifest_id = k.id and r.kind = 'manifest' \
            union all \
            select f.id, f.digest, f.repository_id, f.subject_digest from manifest f \
            where f.repository_id = k.repository_id and f.subject_digest = k.digest) x \
            where not exists (select 1 from tag t where t.repository_id = x.repository_id and t.manifest_id = x.id \
            and t.id not in (select id from del_tags))), \
            cand as materialized (select * from reach where $7::int8[] is null or id = any($7)), \
            """ + ManifestGraph.KEPT + " select 'tag', id from del_tags union all select 'manifest', id from ("
            + ManifestGraph.DOOMED + ") doomed";

    private final GcConfig config;
    private final ManifestSweeper sweeper;

    public RetentionCollector(GcConfig config, ManifestSweeper sweeper) {
        this.config = config;
        this.sweeper = sweeper;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Mode mode() {
        return Mode.SINGLE;
    }

    @Override
    public void collect(RunScope scope) {
        Map<String, GcConfig.Retention> policies = new TreeMap<>(config.retention());
        if (policies.isEmpty()) {
            scope.progress(NAME, "no policies configured (gc.retention.\"<name>\".*)");
            return;
        }
        for (Map.Entry<String, GcConfig.Retention> entry : policies.entrySet()) {
            if (scope.stopping()) {
                return;
            }
            RetentionPolicy policy;
            try {
                policy = RetentionPolicy.of(entry.getKey(), entry.getValue());
                sweeper.checkRegex(policy.includeRegex());
                sweeper.checkRegex(policy.excludeRegex());
            } catch (RuntimeException e) {
                String message = "policy " + entry.getKey() + " skipped: " + e.getMessage();
                scope.error(NAME, message);
                scope.progress(NAME, message);
                continue;
            }
            apply(policy, scope);
        }
    }

    private void apply(RetentionPolicy policy, RunScope scope) {
        OffsetDateTime limit = policy.olderThan() == null ? null
                : OffsetDateTime.now(ZoneOffset.UTC).minus(policy.olderThan());
        List<Repo> repos = sweeper.repositories(policy.repositoryRegex());
        Outcome total = Outcome.NONE;
        int done = 0;
        for (Repo repo : repos) {
            if (scope.stopping()) {
                break;
            }
            try {
                Outcome outcome = sweeper.sweep(scope.dryRun(),
                        (connection, lockedTags, lockedManifests) -> decide(connection, repo, policy, limit, lockedTags,
                                lockedManifests));
                if (outcome.tags() + outcome.manifests() > 0) {
                    scope.report(NAME, outcome.tags() + outcome.manifests(), outcome.bytes());
                }
                total = total.plus(outcome);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Retention policy %s not applied to %s", policy.name(), repo.name());
                scope.error(NAME, "policy " + policy.name() + ", " + repo.name() + ": " + e.getMessage());
            }
            done++;
            scope.progress(NAME, progress(policy, scope.dryRun(), done, repos.size(), total));
        }
        scope.progress(NAME, progress(policy, scope.dryRun(), done, repos.size(), total));
    }

    static Decision decide(SqlConnection connection, Repo repo, RetentionPolicy policy, OffsetDateTime limit,
            Long[] lockedTags, Long[] lockedManifests) {
        Tuple params = Tuple.tuple().addLong(repo.id()).addString(policy.includeRegex())
                .addString(policy.excludeRegex()).addInteger(policy.keepLast()).addOffsetDateTime(limit)
                .addArrayOfLong(lockedTags).addArrayOfLong(lockedManifests);
        List<Long> tags = new ArrayList<>();
        List<Long> manifests = new ArrayList<>();
        for (Row row : Sql.run(connection, DECIDE, params)) {
            ("tag".equals(row.getString(0)) ? tags : manifests).add(row.getLong(1));
        }
        return new Decision(tags, manifests);
    }

    private static String progress(RetentionPolicy policy, boolean dryRun, int done, int repos, Outcome total) {
        return String.format("policy %s, %d/%d repositories: %d tags and %d manifests %s (%d bytes of blobs freed)%s",
                policy.name(), done, repos, total.tags(), total.manifests(), dryRun ? "to delete" : "deleted",
                total.bytes(), total.skipped() > 0 ? ", " + total.skipped() + " in use by a push, left for the next run"
                        : "");
    }
}
