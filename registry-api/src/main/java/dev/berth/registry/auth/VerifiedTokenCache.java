package dev.berth.registry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.core.digest.Digest;
import java.security.PublicKey;
import java.util.Collection;
import java.util.function.LongSupplier;

/**
 * Tokens that passed {@link TokenVerifier}'s full check, so that a client's next requests with the same token
 * skip the JWS parse and signature check (an ES256 verification costs far more than the request it guards).
 * <ul>
 * <li>Keyed by the SHA-256 of the token, so the cache holds no bearer credentials.</li>
 * <li>An entry lives no longer than the token's {@code exp} (without the clock-skew leeway the full check
 * grants, which only ever re-verifies), and a hit past {@code exp} is ignored even if not yet evicted.</li>
 * <li>Each entry remembers the {@code kid} and the key it was verified with: {@link #forget} drops the entries of
 * kids that vanished from or changed in the JWKS, and a hit is used only while the JWKS still holds that same key.</li>
 * <li>Only successes are stored; a refused token is verified again (and refused again) every time.</li>
 * </ul>
 */
final class VerifiedTokenCache {

    /** A verified token: what it grants, the key that verified it, and its {@code exp} in epoch milliseconds. */
    record Entry(TokenVerifier.Verified verified, String kid, PublicKey key, long expiresAtMillis) {
    }

    private final Cache<Digest, Entry> cache;
    private final LongSupplier clockMillis;

    /**
     * @param maxSize entries kept at most (0 disables the cache)
     * @param clockMillis wall clock in epoch milliseconds (tokens' {@code exp} is wall-clock time)
     * @param ticker Caffeine's clock for expiry, in nanoseconds
     */
    VerifiedTokenCache(long maxSize, LongSupplier clockMillis, Ticker ticker) {
        this.clockMillis = clockMillis;
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxSize)
                .ticker(ticker)
                .expireAfter(new Expiry<Digest, Entry>() {
                    @Override
                    public long expireAfterCreate(Digest key, Entry entry, long currentTime) {
                        return remainingNanos(entry);
                    }

                    @Override
                    public long expireAfterUpdate(Digest key, Entry entry, long currentTime, long currentDuration) {
                        return remainingNanos(entry);
                    }

                    @Override
                    public long expireAfterRead(Digest key, Entry entry, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                // evictions run on the calling thread: no ForkJoinPool task per request on the event loop
                .executor(Runnable::run)
                .build();
    }

    private long remainingNanos(Entry entry) {
        return Math.max(0, entry.expiresAtMillis() - clockMillis.getAsLong()) * 1_000_000L;
    }

    /** The cached verification of {@code token}, or null (unknown, evicted, or past its {@code exp}). */
    Entry get(String token) {
        Entry entry = cache.getIfPresent(key(token));
        if (entry == null || entry.expiresAtMillis() <= clockMillis.getAsLong()) {
            return null;
        }
        return entry;
    }

    /** Remembers a successful verification; a token already past its {@code exp} is not stored. */
    void put(String token, Entry entry) {
        if (entry.expiresAtMillis() > clockMillis.getAsLong()) {
            cache.put(key(token), entry);
        }
    }

    /** Drops every entry verified with one of {@code kids} (they left the JWKS or now name another key). */
    void forget(Collection<String> kids) {
        if (!kids.isEmpty()) {
            cache.asMap().values().removeIf(entry -> kids.contains(entry.kid()));
        }
    }

    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    private static Digest key(String token) {
        return Digest.sha256Of(token);
    }
}
