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
         * Repository patterns (globs: {@code *} within a path segment, {@code **} across) whose untagged manifests
         * are collected; none by default (opt-in).
         */
        Optional<List<String>> repositories();

        /** Untagged manifests younger than this are kept. */
        @WithDefault("P7D")
        Duration olderThan();
    }

    interface Retention {
        /** Repository patterns the policy applies to (globs as for untagged). */
        List<String> repositories();

        /** Keep the newest N tags by push time (none: no count limit). */
        Optional<Integer> keepLast();

        /** Delete tags pushed longer ago than this (none: no age limit). */
        Optional<Duration> olderThan();

        /** Tag patterns (regular expressions, whole name) the policy may delete; default every tag. */
        Optional<List<String>> include();

        /**
         * Tag patterns never deleted; default {@code latest} and semantic-version releases
         * ({@code v1.2.3}, {@code 1.2.3}; not pre-releases).
         */
        @WithDefault("latest,v?[0-9]+\\.[0-9]+\\.[0-9]+")
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
