package dev.berth.gc.collector.untagged;

import dev.berth.core.name.GlobPatterns;
import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import dev.berth.gc.collector.manifest.Decision;
import dev.berth.gc.collector.manifest.ManifestGraph;
import dev.berth.gc.collector.manifest.ManifestSweeper;
import dev.berth.gc.collector.manifest.ManifestSweeper.Outcome;
import dev.berth.gc.collector.manifest.ManifestSweeper.Repo;
import dev.berth.gc.collector.manifest.Sql;
import dev.berth.gc.config.GcConfig;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * {@code untagged}: in the repositories of {@code gc.untagged.repositories} (none by default: opt-in), deletes the
 * manifests that have no tag, were pushed longer than {@code gc.untagged.older-than} ago, and are not kept by a
 * kept manifest (see {@link ManifestGraph}: a tagged or young index keeps its children, a kept manifest its
 * referrers, a kept referrer its subject). Referrers and children of a deleted manifest that nothing else keeps go
 * with it. One transaction per repository (see {@link ManifestSweeper}).
 */
@ApplicationScoped
public class UntaggedCollector implements Collector {
    public static final String NAME = "untagged";
    private static final Logger LOG = Logger.getLogger(UntaggedCollector.class);

    /*
     * $1 repository, $2 the age limit, $3 the locked manifests (null: any). cand: untagged manifests older than
     * the limit; the repository id in the tag lookup lets it use tag's (repository_id, name) index.
     */
    static final String DECIDE = "with recursive cand as materialized (select m.id, m.digest, m.repository_id, "
            + "m.subject_digest from manifest m where m.repository_id = $1 and m.created_at < $2 and not exists ("
            + "select 1 from tag t where t.repository_id = m.repository_id and t.manifest_id = m.id) "
            + "and ($3::int8[] is null or m.id = any($3))), " + ManifestGraph.KEPT + " " + ManifestGraph.DOOMED
            + " order by c.id";

    private final GcConfig config;
    private final ManifestSweeper sweeper;

    public UntaggedCollector(GcConfig config, ManifestSweeper sweeper) {
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
        List<String> globs = config.untagged().repositories().orElse(List.of());
        String regex = GlobPatterns.toRegex(globs);
        if (regex.equals(GlobPatterns.NOTHING)) {
            scope.progress(NAME, "no repositories configured (gc.untagged.repositories)");
            return;
        }
        OffsetDateTime limit = OffsetDateTime.now(ZoneOffset.UTC).minus(config.untagged().olderThan());
        List<Repo> repos = sweeper.repositories(regex);
        Outcome total = Outcome.NONE;
        int done = 0;
        for (Repo repo : repos) {
            if (scope.stopping()) {
                break;
            }
            try {
                Outcome outcome = sweeper.sweep(scope.dryRun(), (connection, lockedTags, lockedManifests) -> new Decision(
                        List.of(), Sql.longs(Sql.run(connection, DECIDE, Tuple.of(repo.id(), limit, lockedManifests)))));
                if (outcome.manifests() > 0) {
                    scope.report(NAME, outcome.manifests(), outcome.bytes());
                }
                total = total.plus(outcome);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Untagged manifests of %s not collected", repo.name());
                scope.error(NAME, repo.name() + ": " + e.getMessage());
            }
            done++;
            scope.progress(NAME, progress(scope.dryRun(), done, repos.size(), total));
        }
        scope.progress(NAME, progress(scope.dryRun(), done, repos.size(), total));
    }

    private static String progress(boolean dryRun, int done, int repos, Outcome total) {
        return String.format("%d/%d repositories: %d untagged manifests %s (%d bytes of blobs freed)%s", done, repos,
                total.manifests(), dryRun ? "to delete" : "deleted", total.bytes(),
                total.skipped() > 0 ? ", " + total.skipped() + " in use by a push, left for the next run" : "");
    }
}
