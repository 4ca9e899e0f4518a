package dev.berth.registry.cache;

import dev.berth.core.name.RepositoryName;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.manifest.ManifestContent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.jboss.logging.Logger;

/**
 * The manifest cache: manifests by repository and digest (immutable content) and tags by repository and
 * name (a digest), in front of PostgreSQL.
 *
 * <h2>Consistency</h2>
 * PostgreSQL is the truth; the cache may only ever hold what PostgreSQL said at some committed point, and
 * a change must be visible on every replica once the request that made it has been answered:
 * <ol>
 * <li>Writers invalidate <em>after</em> their transaction commits and <em>before</em> they answer: every
 * key the change touched (a moved or deleted tag, a deleted manifest and the tags that named it) is
 * overwritten with a tombstone that lives {@code registry.cache.invalidation-window}.</li>
 * <li>Readers populate only with what they read from PostgreSQL (committed data), only with
 * {@code putIfAbsent} (never over a tombstone or another value), and only if the read began less than
 * half the invalidation window ago.</li>
 * </ol>
 * The put-after-delete race (a reader reads the old state, the writer commits and invalidates, the reader
 * then writes the old state into the cache) cannot leave a stale entry: if the reader's put comes before
 * the tombstone, the tombstone overwrites it; if it comes after, {@code putIfAbsent} refuses it while the
 * tombstone lives, and once it has expired the reader's read is too old to be written at all. A tombstone
 * also makes concurrent writers harmless in any order (two tag moves write the same tombstone), which a
 * cache holding the new value would not be. The price: a key that just changed is served from PostgreSQL
 * for one invalidation window.
 *
 * <p>Failures of the cache are misses: a request never fails because of it. Metrics:
 * {@code berth.manifest.cache{entry=manifest|tag, result=hit|miss|error|bypass}} (bypass: the cache was
 * degraded and not asked) and the gauge {@code berth.manifest.cache.available}.
 */
@ApplicationScoped
public class ManifestCache {
    private static final Logger LOG = Logger.getLogger(ManifestCache.class);

    public static final String ENTRY_MANIFEST = "manifest";
    public static final String ENTRY_TAG = "tag";

    private final RegistryConfig.Cache config;
    private final CacheStore store;
    private final MeterRegistry meters;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public ManifestCache(RegistryConfig registryConfig, Instance<RemoteCacheManager> managers, Vertx vertx,
            MeterRegistry meters) {
        this.config = registryConfig.cache();
        this.meters = meters;
        String type = config.type().trim().toLowerCase(Locale.ROOT);
        this.store = switch (type) {
            case "none" -> new NoCacheStore();
            case "local" -> new LocalCacheStore(config.local().maxSize());
            case "infinispan" -> new InfinispanCacheStore(managers, vertx, config);
            default -> throw new IllegalArgumentException(
                    "registry.cache.type must be none, local or infinispan, not '" + config.type() + "'");
        };
        Gauge.builder("berth.manifest.cache.available", this, c -> c.store.available() ? 1 : 0)
                .description("1 while the manifest cache is used, 0 while it is disabled or degraded")
                .tag("type", store.type()).register(meters);
    }

    void onStart(@Observes StartupEvent event) {
        if (store instanceof LocalCacheStore) {
            LOG.infof("Manifest cache: in-process (registry.cache.type=local, up to %d bytes); with several "
                    + "registry-api replicas use registry.cache.type=infinispan", config.local().maxSize());
        } else if (store instanceof NoCacheStore) {
            LOG.info("Manifest cache: none (registry.cache.type=none)");
        }
        store.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        store.stop();
    }

    public String type() {
        return store.type();
    }

    public CacheStore.State state() {
        return store.state();
    }

    /** Where a read from PostgreSQL begins: {@link #populate} needs it to refuse reads that are too old. */
    public long readStarts() {
        return System.nanoTime();
    }

    /** The cached manifest {@code digest} of {@code repository}, or null (miss, or the cache failed). */
    public Uni<ManifestContent> manifest(RepositoryName repository, String digest) {
        return lookup(ENTRY_MANIFEST, manifestKey(repository, digest)).map(value -> {
            ManifestContent content = value == null ? null : CacheEntry.readManifest(value);
            if (value != null) {
                count(ENTRY_MANIFEST, content != null && content.digest().equals(digest) ? "hit" : "miss");
            }
            return content != null && content.digest().equals(digest) ? content : null;
        });
    }

    /** The cached digest that {@code tag} of {@code repository} points at, or null. */
    public Uni<String> tag(RepositoryName repository, String tag) {
        return lookup(ENTRY_TAG, tagKey(repository, tag)).map(value -> {
            String digest = value == null ? null : CacheEntry.readTag(value);
            if (value != null) {
                count(ENTRY_TAG, digest != null ? "hit" : "miss");
            }
            return digest;
        });
    }

    /** The value under {@code key}; null on a miss, when the cache is off or degraded, or when it failed. */
    private Uni<byte[]> lookup(String entry, String key) {
        if (store instanceof NoCacheStore) {
            return Uni.createFrom().nullItem();
        }
        if (!store.available()) {
            count(entry, "bypass");
            return Uni.createFrom().nullItem();
        }
        return store.get(key)
                .invoke(value -> {
                    if (value == null) {
                        count(entry, "miss");
                    }
                })
                .onFailure().recoverWithItem(e -> {
                    count(entry, "error");
                    return null;
                });
    }

    /**
     * Caches what was just read from PostgreSQL: the manifest by digest and, for a read by tag, the tag.
     * {@code readStarted} is {@link #readStarts()} taken before the read; a read older than half the
     * invalidation window is not cached (see the class comment). Never fails.
     */
    public Uni<Void> populate(RepositoryName repository, String tag, ManifestContent manifest, long readStarted) {
        if (!store.available() || manifest.payload().length > config.maxEntrySize()) {
            return Uni.createFrom().voidItem();
        }
        long age = System.nanoTime() - readStarted;
        if (age > config.invalidationWindow().toNanos() / 2) {
            LOG.debugf("Manifest cache: not caching %s@%s, read %d ms ago", repository, manifest.digest(),
                    age / 1_000_000);
            return Uni.createFrom().voidItem();
        }
        Uni<Boolean> put = store.putIfAbsent(manifestKey(repository, manifest.digest()), CacheEntry.manifest(manifest),
                config.manifestLifespan());
        if (tag != null) {
            put = put.chain(() -> store.putIfAbsent(tagKey(repository, tag), CacheEntry.tag(manifest.digest()),
                    config.tagLifespan()));
        }
        return put.onFailure().recoverWithItem(e -> {
            count(tag != null ? ENTRY_TAG : ENTRY_MANIFEST, "error");
            return false;
        }).replaceWithVoid();
    }

    /**
     * Invalidates the given tags and manifests of {@code repository} on every replica. Call it after the
     * transaction that changed them has committed and before answering the request. Never fails: an
     * invalidation the store cannot take now is written before the store is used again.
     */
    public Uni<Void> invalidate(RepositoryName repository, Collection<String> tags, Collection<String> digests) {
        Set<String> keys = new LinkedHashSet<>();
        tags.forEach(t -> keys.add(tagKey(repository, t)));
        digests.forEach(d -> keys.add(manifestKey(repository, d)));
        if (keys.isEmpty() || store instanceof NoCacheStore) {
            return Uni.createFrom().voidItem();
        }
        return store.invalidate(keys, config.invalidationWindow())
                .onFailure().recoverWithItem(e -> {
                    count(tags.isEmpty() ? ENTRY_MANIFEST : ENTRY_TAG, "error");
                    LOG.debugf("Manifest cache: invalidation of %s deferred: %s", keys,
                            InfinispanCacheStore.describe(e));
                    return null;
                });
    }

    static String manifestKey(RepositoryName repository, String digest) {
        return "m|" + repository.value() + "|" + digest;
    }

    static String tagKey(RepositoryName repository, String tag) {
        return "t|" + repository.value() + "|" + tag;
    }

    private void count(String entry, String result) {
        counters.computeIfAbsent(entry + "/" + result, k -> Counter.builder("berth.manifest.cache")
                .description("Manifest cache lookups by entry kind and result, and failed cache operations")
                .tag("type", store.type()).tag("entry", entry).tag("result", result)
                .register(meters)).increment();
    }

    /** For tests: the store behind this cache. */
    CacheStore store() {
        return store;
    }
}
