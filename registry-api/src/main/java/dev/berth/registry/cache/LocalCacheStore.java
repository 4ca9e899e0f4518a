package dev.berth.registry.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Set;

/**
 * {@code registry.cache.type=local}: an in-process Caffeine cache bounded by bytes, each entry with its own
 * lifespan. Invalidations reach this process only, so it is correct for a single registry-api; replicas
 * need {@code infinispan}.
 */
final class LocalCacheStore implements CacheStore {

    private record Value(byte[] bytes, long lifespanNanos) {
    }

    private final Cache<String, Value> cache;

    LocalCacheStore(long maxBytes) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, Value value) -> 64 + 2 * key.length() + value.bytes().length)
                .expireAfter(new Expiry<String, Value>() {
                    @Override
                    public long expireAfterCreate(String key, Value value, long now) {
                        return value.lifespanNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Value value, long now, long currentDuration) {
                        return value.lifespanNanos();
                    }

                    @Override
                    public long expireAfterRead(String key, Value value, long now, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public Uni<byte[]> get(String key) {
        Value value = cache.getIfPresent(key);
        return Uni.createFrom().item(value == null ? null : value.bytes());
    }

    @Override
    public Uni<Boolean> putIfAbsent(String key, byte[] value, Duration lifespan) {
        return Uni.createFrom().item(cache.asMap().putIfAbsent(key, new Value(value, lifespan.toNanos())) == null);
    }

    @Override
    public Uni<Void> invalidate(Set<String> keys, Duration lifespan) {
        Value tombstone = new Value(CacheEntry.tombstone(), lifespan.toNanos());
        for (String key : keys) {
            cache.put(key, tombstone);
        }
        return Uni.createFrom().voidItem();
    }

    @Override
    public State state() {
        return new State("ok", "in-process, " + cache.estimatedSize() + " entries", 0);
    }
}
