package dev.berth.registry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.name.RepositoryName;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.manifest.ManifestContent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cache without Quarkus: entry format, {@code none}, settings, the size limit. */
class ManifestCacheUnitTest {
    private static final RepositoryName REPO = new RepositoryName("unit/cache");
    private static final ManifestContent MANIFEST = new ManifestContent("sha256:" + "c".repeat(64),
            "application/vnd.oci.image.index.v1+json", "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8));

    @Test
    void entriesRoundTripAndAnythingElseIsAMiss() {
        byte[] manifest = CacheEntry.manifest(MANIFEST);
        ManifestContent read = CacheEntry.readManifest(manifest);
        assertThat(read.digest()).isEqualTo(MANIFEST.digest());
        assertThat(read.mediaType()).isEqualTo(MANIFEST.mediaType());
        assertThat(read.payload()).isEqualTo(MANIFEST.payload());
        assertThat(CacheEntry.readTag(CacheEntry.tag(MANIFEST.digest()))).isEqualTo(MANIFEST.digest());

        assertThat(CacheEntry.readTag(manifest)).as("a manifest is not a tag").isNull();
        assertThat(CacheEntry.readManifest(CacheEntry.tag("x"))).isNull();
        assertThat(CacheEntry.readManifest(CacheEntry.tombstone())).isNull();
        assertThat(CacheEntry.isTombstone(CacheEntry.tombstone())).isTrue();
        assertThat(CacheEntry.readManifest(java.util.Arrays.copyOf(manifest, manifest.length - 1))).as("truncated")
                .isNull();
        byte[] otherFormat = manifest.clone();
        otherFormat[0] = 9;
        assertThat(CacheEntry.readManifest(otherFormat)).isNull();
        assertThat(CacheEntry.readManifest(null)).isNull();
    }

    @Test
    void noneNeverCaches() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ManifestCache cache = new ManifestCache(config("none", 1024), null, null, meters);
        cache.populate(REPO, "v1", MANIFEST, cache.readStarts()).await().indefinitely();
        assertThat(cache.tag(REPO, "v1").await().indefinitely()).isNull();
        assertThat(cache.manifest(REPO, MANIFEST.digest()).await().indefinitely()).isNull();
        cache.invalidate(REPO, List.of("v1"), List.of(MANIFEST.digest())).await().indefinitely();
        assertThat(cache.state().name()).isEqualTo("disabled");
        assertThat(meters.find("berth.manifest.cache").counters()).as("nothing to count").isEmpty();
    }

    @Test
    void manifestsOverTheSizeLimitAreNotCached() {
        ManifestCache cache = new ManifestCache(config("local", 10), null, null, new SimpleMeterRegistry());
        cache.populate(REPO, "v1", MANIFEST, cache.readStarts()).await().indefinitely();
        assertThat(cache.manifest(REPO, MANIFEST.digest()).await().indefinitely()).isNull();
        assertThat(cache.tag(REPO, "v1").await().indefinitely()).isNull();
    }

    @Test
    void anUnknownTypeIsRefusedAtStartUp() {
        assertThatThrownBy(() -> new ManifestCache(config("redis", 1024), null, null, new SimpleMeterRegistry()))
                .hasMessageContaining("registry.cache.type");
    }

    /** A RegistryConfig with the documented defaults of the cache, and the given type and entry size limit. */
    private static RegistryConfig config(String type, int maxEntrySize) {
        Object local = stub(RegistryConfig.Cache.Local.class, Map.of("maxSize", 1L << 20));
        Object cache = stub(RegistryConfig.Cache.class, Map.of("type", type,
                "manifestLifespan", Duration.ofHours(1), "tagLifespan", Duration.ofSeconds(60),
                "invalidationWindow", Duration.ofSeconds(10), "maxEntrySize", maxEntrySize, "local", local));
        return (RegistryConfig) stub(RegistryConfig.class, Map.of("cache", cache));
    }

    private static Object stub(Class<?> type, Map<String, Object> values) {
        return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (!values.containsKey(method.getName())) {
                throw new UnsupportedOperationException(method.getName());
            }
            return values.get(method.getName());
        });
    }
}
