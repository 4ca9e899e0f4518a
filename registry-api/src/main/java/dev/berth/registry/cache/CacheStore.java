package dev.berth.registry.cache;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Set;

/**
 * Where the manifest cache keeps its entries: opaque byte values under string keys, each with its own
 * lifespan. Implementations: {@link LocalCacheStore} (in-process), {@link InfinispanCacheStore} (Hot Rod),
 * {@link NoCacheStore}.
 *
 * <p>Operations return a {@link Uni} that emits on the caller's Vert.x context, and fail when the store
 * does: callers treat a failure as a miss and go to PostgreSQL.
 */
public interface CacheStore {

    /** {@code none}, {@code local} or {@code infinispan}. */
    String type();

    /** Whether lookups and writes may be attempted now (false while a remote store is unreachable). */
    boolean available();

    /** The value under {@code key}, or {@code null}. */
    Uni<byte[]> get(String key);

    /** Stores {@code value} unless the key holds something (a value or a tombstone); true when stored. */
    Uni<Boolean> putIfAbsent(String key, byte[] value, Duration lifespan);

    /**
     * Overwrites every key with a tombstone that lives {@code lifespan}. An invalidation must not be lost:
     * when the store cannot take it now, it remembers the keys and writes them before it serves again.
     */
    Uni<Void> invalidate(Set<String> keys, Duration lifespan);

    /** For the readiness check: {@code ok}, {@code degraded}, {@code connecting} or {@code disabled}. */
    State state();

    default void start() {
    }

    default void stop() {
    }

    /** The store's condition and, when not {@code ok}, why. */
    record State(String name, String detail, int pendingInvalidations) {
        public boolean ok() {
            return "ok".equals(name);
        }
    }
}
