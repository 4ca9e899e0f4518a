package dev.berth.gc.config;

import dev.berth.core.token.TokenAuthMapping;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code gc.*}: the settings of gc-worker (documented in docs/configuration.md, "gc-worker", and
 * docs/garbage-collection.md). Storage is configured with registry-api's own {@code registry.storage.*} settings
 * (see {@code StorageConfig}): the worker must see the same store.
 */
@ConfigMapping(prefix = "gc")
public interface GcConfig {

    /**
     * Nothing unreferenced is deleted before this long after it was last used (pushed, linked, mounted, checked with
     * a blob HEAD); a client that checked a blob and pushes its manifest within this period is safe. Must be well
     * above registry-api's registry.gc.touch-interval.
     */
    @WithDefault("PT1H")
    Duration grace();

    /** Objects, links and candidates claimed and decided per transaction. S3 deletes up to 1 000 keys per request. */
    @WithDefault("1000")
    int batchSize();

    /** A name for this worker in runs and logs; default: host name and process id. */
    Optional<String> workerName();

    /**
     * Whether this process takes part in runs (runs collectors). false: it serves the API and schedules runs only,
     * and other workers do the work.
     */
    @WithDefault("true")
    boolean workerEnabled();

    /** How often a worker looks for runs to take part in (runs started elsewhere wake it at once over the bus). */
    @WithDefault("PT1S")
    Duration pollInterval();

    /** A worker that has not reported for this long is presumed dead: its part of a run is given to others. */
    @WithDefault("PT30S")
    Duration workerLease();

    Schedule schedule();

    Uploads uploads();

    Orphans orphans();

    Untagged untagged();

    /** Retention policies, by name: {@code gc.retention."<name>".repositories=team-a/**} and so on. */
    java.util.Map<String, Retention> retention();

    Auth auth();

    interface Schedule {
        /** Whether runs start on a schedule at all. */
        @WithDefault("true")
        boolean enabled();

        /** Every this long a run of the incremental collectors (links, blobs, objects, uploads) starts. */
        @WithDefault("PT10M")
        Duration every();

        /** Every this long a full run starts (mark, orphans in storage, retention, untagged manifests too). */
        @WithDefault("PT24H")
        Duration fullEvery();
    }

    interface Uploads {
        /** Upload sessions not written to for this long are aborted: their storage and rows removed. */
        @WithDefault("PT24H")
        Duration maxAge();
    }

    interface Orphans {
        /** Storage objects listed per page of the orphan scan. */
        @WithDefault("1000")
        int pageSize();
    }

    interface Untagged {
        /**
         * Repository patterns (globs: {@code *} within a path segment, {@code **} across, whole names: {@code team-a/**}
         * matches {@code team-a/app}, not {@code team-a}) whose untagged manifests are collected; none by default
         * (opt-in). A manifest stays while a tagged or kept index lists it, while a kept referrer (a tagged signature,
         * say) names it as subject, and its referrers stay with it.
         */
        Optional<List<String>> repositories();

        /** Untagged manifests pushed less than this long ago (manifest.created_at) are kept. */
        @WithDefault("P7D")
        Duration olderThan();
    }

    /**
     * A retention policy. Candidate tags are those matching {@code include} and not {@code exclude}; a candidate is
     * deleted when it is not among the newest {@code keep-last} candidates (by the time it was last pushed or moved)
     * and was pushed longer than {@code older-than} ago: with both set, both must hold; at least one must be set (a
     * policy with neither is reported as an error and skipped). Manifests left without a tag are deleted with their
     * untagged children and referrers, unless still kept (another tag, a kept index, a tagged referrer).
     */
    interface Retention {
        /** Repository patterns the policy applies to (globs as for untagged). Required. */
        List<String> repositories();

        /** Keep the newest N candidate tags (none: no count limit). Protected tags do not count. */
        Optional<Integer> keepLast();

        /** Delete candidate tags pushed longer ago than this (none: no age limit). */
        Optional<Duration> olderThan();

        /** Tag patterns (regular expressions, whole name) the policy may delete; default every tag. */
        Optional<List<String>> include();

        /**
         * Tag patterns (regular expressions, whole name) never deleted; default {@code latest} and semantic-version
         * releases ({@code v1.2.3}, {@code 1.2.3}; not pre-releases). Setting it replaces the default: list those
         * again to keep them protected. Write a literal dot as {@code [.]} (the list syntax takes backslashes as
         * escapes).
         */
        @WithDefault("latest,v?[0-9]+[.][0-9]+[.][0-9]+")
        List<String> exclude();
    }

    interface Auth extends TokenAuthMapping {
        /**
         * When true (the default), every /api/v1 request needs a bearer token of token-service with the
         * {@code registry-admin} role's grant (scope {@code registry:gc:*}); off for --no-auth local runs (127.0.0.1 only).
         */
        @WithDefault("true")
        boolean enabled();

        /** token-service's JWKS. */
        @WithDefault("http://127.0.0.1:5001/.well-known/jwks.json")
        String jwksUrl();
    }
}
