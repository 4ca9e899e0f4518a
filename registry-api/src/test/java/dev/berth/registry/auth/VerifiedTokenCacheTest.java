package dev.berth.registry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The verified-token cache on a hand-driven clock: expiry at exp, kid withdrawal, size cap. */
class VerifiedTokenCacheTest {
    private final AtomicLong nanos = new AtomicLong(TimeUnit.DAYS.toNanos(1));
    private final Ticker ticker = nanos::get;
    /** Wall clock in epoch millis moving with the ticker. */
    private final long epoch = 1_800_000_000_000L;

    private long nowMillis() {
        return epoch + TimeUnit.NANOSECONDS.toMillis(nanos.get() - TimeUnit.DAYS.toNanos(1));
    }

    private void advanceMillis(long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private static PublicKey key() throws Exception {
        return KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
    }

    private VerifiedTokenCache.Entry entry(String kid, PublicKey key, long lifetimeMillis) {
        return new VerifiedTokenCache.Entry(new TokenVerifier.Verified("alice", List.of()), kid, key, nowMillis() + lifetimeMillis);
    }

    @Test
    void anEntryIsNotUsedFromItsExpOn() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, this::nowMillis, ticker);
        cache.put("short-lived", entry("k1", key(), 2_000));
        assertThat(cache.get("short-lived")).isNotNull();
        advanceMillis(1_999);
        assertThat(cache.get("short-lived")).isNotNull();
        advanceMillis(1);
        assertThat(cache.get("short-lived")).as("at exp").isNull();
        assertThat(cache.size()).as("evicted").isZero();
    }

    @Test
    void aHitPastExpIsIgnoredEvenBeforeEviction() throws Exception {
        // the wall clock jumps (NTP) while the ticker stands still: exp is wall-clock time and wins
        long[] wall = {epoch};
        VerifiedTokenCache cache = new VerifiedTokenCache(100, () -> wall[0], ticker);
        cache.put("t", new VerifiedTokenCache.Entry(new TokenVerifier.Verified("alice", List.of()), "k1", key(), epoch + 60_000));
        assertThat(cache.get("t")).isNotNull();
        wall[0] = epoch + 60_000;
        assertThat(cache.get("t")).isNull();
    }

    @Test
    void anExpiredTokenIsNeverStored() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, this::nowMillis, ticker);
        cache.put("old", entry("k1", key(), -1));
        cache.put("now", entry("k1", key(), 0));
        assertThat(cache.get("old")).isNull();
        assertThat(cache.get("now")).isNull();
    }

    @Test
    void forgettingAKidDropsOnlyItsEntries() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, this::nowMillis, ticker);
        PublicKey k1 = key();
        PublicKey k2 = key();
        cache.put("a", entry("k1", k1, 60_000));
        cache.put("b", entry("k1", k1, 60_000));
        cache.put("c", entry("k2", k2, 60_000));
        cache.forget(Set.of("k1"));
        assertThat(cache.get("a")).isNull();
        assertThat(cache.get("b")).isNull();
        assertThat(cache.get("c")).isNotNull();
        assertThat(cache.get("c").key()).isSameAs(k2);
    }

    @Test
    void tokensAreTellApartByTheirWholeText() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, this::nowMillis, ticker);
        cache.put("header.payload.signature", entry("k1", key(), 60_000));
        assertThat(cache.get("header.payload.signaturf")).isNull();
        assertThat(cache.get("header.payload.signature")).isNotNull();
    }

    @Test
    void theSizeIsCapped() throws Exception {
        VerifiedTokenCache cache = new VerifiedTokenCache(10, this::nowMillis, ticker);
        PublicKey k = key();
        for (int i = 0; i < 100; i++) {
            cache.put("token-" + i, entry("k1", k, 60_000));
        }
        assertThat(cache.size()).isLessThanOrEqualTo(10);
    }
}
