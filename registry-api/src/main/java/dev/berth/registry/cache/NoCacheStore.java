package dev.berth.registry.cache;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Set;

/** {@code registry.cache.type=none}: every manifest GET reads PostgreSQL. */
final class NoCacheStore implements CacheStore {

    @Override
    public String type() {
        return "none";
    }

    @Override
    public boolean available() {
        return false;
    }

    @Override
    public Uni<byte[]> get(String key) {
        return Uni.createFrom().nullItem();
    }

    @Override
    public Uni<Boolean> putIfAbsent(String key, byte[] value, Duration lifespan) {
        return Uni.createFrom().item(false);
    }

    @Override
    public Uni<Void> invalidate(Set<String> keys, Duration lifespan) {
        return Uni.createFrom().voidItem();
    }

    @Override
    public State state() {
        return new State("disabled", "registry.cache.type=none", 0);
    }
}
