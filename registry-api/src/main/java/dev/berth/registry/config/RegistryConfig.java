package dev.berth.registry.config;

import dev.berth.core.storage.StorageMapping;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Typed {@code registry.*} settings; each default here is the documented one (docs/configuration.md). */
@ConfigMapping(prefix = "registry")
public interface RegistryConfig {

    /** {@code registry.storage.*}, shared with gc-worker (registry-core's StorageMapping). */
    StorageMapping storage();

    Manifests manifests();

    Lists lists();

    Cache cache();

    Uploads uploads();

    Gc gc();

    Database database();

    /**
     * The reactive PostgreSQL pool (the rest is {@code quarkus.datasource.*}). While PostgreSQL is out of reach,
     * requests fail with {@code 503 UNAVAILABLE}; the pool reconnects by itself.
     */
    interface Database {
        /**
         * How long opening a connection may take (a server that does not answer; one that refuses fails at
         * once). Vert.x would wait 60 s.
         */
        @WithDefault("5s")
        Duration connectTimeout();
    }

    interface Manifests {
        /** Largest manifest body accepted (bytes); larger bodies get 413 MANIFEST_INVALID. */
        @WithDefault("4194304")
        int maxSize();
    }

    interface Uploads {
        /**
         * How long a {@code PUT} that finishes an upload waits for another request still holding that upload
         * (a chunk being written, or one whose client just left) before it answers 416; 0 answers at once.
         * A {@code PATCH} that finds its upload busy is answered 416 at once, as before.
         */
        @WithDefault("5s")
        Duration commitLockWait();
    }

    /** What the registry does for garbage collection (gc-worker, docs/garbage-collection.md). */
    interface Gc {
        /**
         * A blob {@code HEAD} refreshes the link (and blob) it finds when the link was last touched longer ago than
         * this, so a client that checked a blob and then pushes its manifest is safe from collection. At most one
         * write per link per interval; must be far below {@code gc.grace} (default 1 h).
         */
        @WithDefault("PT5M")
        Duration touchInterval();
    }

    interface Lists {
        /** Largest page of the catalog and tag lists; also the page size when the client names no {@code n}. */
        @WithDefault("1000")
        int maxPageSize();
    }

    /** The manifest cache (see docs/storage-and-replicas.md, "Manifest cache"). */
    interface Cache {
        /**
         * {@code local} (embedded default: in-process, correct for a single registry-api only),
         * {@code infinispan} (shared by every replica over Hot Rod) or {@code none}.
         */
        @WithDefault("local")
        String type();

        /** How long a manifest stays cached by digest (its content never changes; deletes invalidate it). */
        @WithDefault("1h")
        Duration manifestLifespan();

        /** How long a tag -> digest entry stays cached (moves and deletes invalidate it; this bounds the rest). */
        @WithDefault("60s")
        Duration tagLifespan();

        /**
         * How long an invalidated key refuses to be cached again. A read that started before the change
         * may only populate the cache within half of this, so it can never overwrite the invalidation.
         */
        @WithDefault("10s")
        Duration invalidationWindow();

        /** Manifests larger than this are served from PostgreSQL only (bytes). */
        @WithDefault("1048576")
        int maxEntrySize();

        Local local();

        Infinispan infinispan();

        interface Local {
            /** Memory the in-process cache may hold (bytes of keys and values). */
            @WithDefault("67108864")
            long maxSize();
        }

        interface Infinispan {
            /** Hot Rod server list, {@code host:port;host:port} (forwarded to quarkus.infinispan-client.hosts). */
            @WithDefault("127.0.0.1:11222")
            String hosts();

            /** Hot Rod user (forwarded to quarkus.infinispan-client.username); none: no authentication. */
            Optional<String> username();

            /** Hot Rod password (forwarded to quarkus.infinispan-client.password). */
            Optional<String> password();

            /** Name of the remote cache; created from {@link #cacheConfiguration()} when the server lacks it. */
            @WithDefault("berth-manifests")
            String cacheName();

            /**
             * Infinispan XML of the cache created when the server does not define {@link #cacheName()}: distributed
             * (a clustered server: every node sees the same entries; a local cache on a cluster would not), synchronous.
             */
            @WithDefault("<distributed-cache mode=\"SYNC\" owners=\"2\"><encoding media-type=\"application/x-protostream\"/>"
                    + "<memory max-count=\"100000\" when-full=\"REMOVE\"/></distributed-cache>")
            String cacheConfiguration();

            /** A request waits at most this long for the cache before it goes to PostgreSQL instead. */
            @WithDefault("500ms")
            Duration operationTimeout();

            /** While the cache is unreachable, how often the registry tries it again. */
            @WithDefault("5s")
            Duration retryInterval();
        }
    }
}
