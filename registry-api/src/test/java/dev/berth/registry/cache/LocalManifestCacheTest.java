package dev.berth.registry.cache;

import static dev.berth.registry.cache.CacheTestSupport.*;
import static dev.berth.registry.support.RegistryTestSupport.uniqueRepo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.name.RepositoryName;
import dev.berth.registry.manifest.ManifestContent;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embedded default, {@code registry.cache.type=local}: in-process, one registry-api. */
@QuarkusTest
class LocalManifestCacheTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    ManifestCache cache;

    @Inject
    MeterRegistry meters;

    @Test
    void localIsTheDefault() {
        assertThat(cache.type()).isEqualTo("local");
        assertThat(cache.state().name()).isEqualTo("ok");
    }

    @Test
    void secondGetIsAHit() {
        String repo = uniqueRepo("cache-local");
        String manifest = push(repo, "v1");
        double hits = total(meters, "hit");
        assertServes(repo, "v1", manifest);
        assertThat(total(meters, "hit")).as("first GET reads PostgreSQL").isEqualTo(hits);
        assertServes(repo, "v1", manifest);
        assertServes(repo, digestOf(manifest), manifest);
        // tag -> digest, then the manifest by digest; then the manifest by digest again
        assertThat(total(meters, "hit")).isEqualTo(hits + 3);
    }

    @Test
    void tagMoveAndDeletesAreSeenAtOnce() {
        String repo = uniqueRepo("cache-local");
        String first = push(repo, "latest");
        assertServes(repo, "latest", first);
        assertServes(repo, "latest", first);
        String second = push(repo, "latest");
        assertServes(repo, "latest", second);
        delete(repo, "latest");
        assertUnknown(repo, "latest");
        assertServes(repo, digestOf(second), second);
        delete(repo, digestOf(second));
        assertUnknown(repo, digestOf(second));
        assertServes(repo, digestOf(first), first);
    }

    /** The put-after-delete race: a read that began before an invalidation must not be cached after it. */
    @Test
    void aReadFromBeforeAnInvalidationIsNotCached() {
        RepositoryName repo = new RepositoryName(uniqueRepo("cache-race"));
        ManifestContent stale = new ManifestContent("sha256:" + "a".repeat(64), "application/vnd.oci.image.manifest.v1+json",
                "{}".getBytes(StandardCharsets.UTF_8));
        long readStarted = cache.readStarts();
        // the writer commits and invalidates ...
        cache.invalidate(repo, List.of("v1"), List.of(stale.digest())).await().atMost(WAIT);
        // ... then the reader, which read the old state, tries to cache it
        cache.populate(repo, "v1", stale, readStarted).await().atMost(WAIT);
        assertThat(cache.tag(repo, "v1").await().atMost(WAIT)).as("tag entry over a tombstone").isNull();
        assertThat(cache.manifest(repo, stale.digest()).await().atMost(WAIT)).as("manifest entry over a tombstone")
                .isNull();
    }

    /** Once the tombstone may have expired, a read from before it is too old to be cached at all. */
    @Test
    void aReadOlderThanHalfTheInvalidationWindowIsNotCached() {
        RepositoryName repo = new RepositoryName(uniqueRepo("cache-old"));
        ManifestContent content = new ManifestContent("sha256:" + "b".repeat(64), "application/vnd.oci.image.manifest.v1+json",
                "{}".getBytes(StandardCharsets.UTF_8));
        long longAgo = System.nanoTime() - Duration.ofSeconds(6).toNanos(); // the window is 10 s
        cache.populate(repo, "v1", content, longAgo).await().atMost(WAIT);
        assertThat(cache.tag(repo, "v1").await().atMost(WAIT)).isNull();
        cache.populate(repo, "v1", content, cache.readStarts()).await().atMost(WAIT);
        assertThat(cache.tag(repo, "v1").await().atMost(WAIT)).isEqualTo(content.digest());
        assertThat(cache.manifest(repo, content.digest()).await().atMost(WAIT).payload()).isEqualTo(content.payload());
    }
}
