package dev.berth.catalog.config;

import dev.berth.core.token.TokenAuthMapping;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** {@code catalog.*}: the settings of catalog-service (documented in docs/configuration.md, "catalog-service"). */
@ConfigMapping(prefix = "catalog")
public interface CatalogConfig {

    Events events();

    Labels labels();

    Auth auth();

    interface Events {
        /** Whether this process consumes registry events at all (false: it only answers queries from the read model). */
        @WithDefault("true")
        boolean enabled();

        /** The outbox is read for missed events at start and this often (the bus is only the fast wake-up). */
        @WithDefault("PT2S")
        Duration catchUpInterval();

        /** Outbox rows read and applied per transaction while catching up. */
        @WithDefault("500")
        int batchSize();

        /** The consumer name under which the applied position is reported in {@code registry.outbox_consumer}. */
        @WithDefault("catalog-service")
        String consumerName();
    }

    interface Labels {
        /** Whether image config labels are fetched from registry-api (bus request {@code berth.registry.blob.read}). */
        @WithDefault("true")
        boolean enabled();

        /** How long one config request may take; after that the tag is shown without labels (retried later). */
        @WithDefault("PT2S")
        Duration timeout();

        /** Larger configs are not fetched. */
        @WithDefault("1048576")
        int maxBytes();

        /** Config requests in flight at most; more configs wait for the next backfill round. */
        @WithDefault("8")
        int concurrency();

        /** Configs still without labels are looked for this often; a failed one is retried after {@code retry-after}. */
        @WithDefault("PT30S")
        Duration backfillInterval();

        @WithDefault("PT5M")
        Duration retryAfter();
    }

    /** The token check itself (realm, service, issuer, algorithms, JWKS) is {@link TokenAuthMapping}'s. */
    interface Auth extends TokenAuthMapping {
        /** When true (the default), every /api/v1 request needs a bearer token of token-service. */
        @WithDefault("true")
        boolean enabled();

        /** token-service's JWKS. */
        @WithDefault("http://127.0.0.1:5001/.well-known/jwks.json")
        String jwksUrl();
    }
}
