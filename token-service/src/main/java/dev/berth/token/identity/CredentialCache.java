package dev.berth.token.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.token.config.TokenConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A short-lived in-memory record of successful credential checks, so that a client that sends the same user name
 * and password with every token request (skopeo, podman, CI jobs) does not pay a full bcrypt or a Keycloak grant
 * each time. Only successes are recorded: a wrong password never matches an entry and always pays the full check.
 * <p>
 * Entries are keyed by HMAC-SHA256, under a random secret made per process, of the credential's source, the user
 * name and the password; neither the password nor an unkeyed hash of it is held, and the keys are worthless outside
 * this process. Entries expire {@code token.credential-cache.ttl} after the check and are dropped at once when the
 * user's password changes, the account is disabled or its refresh tokens are revoked ({@link #invalidate(String)}).
 * Metric: {@code berth_token_credential_cache_total{result="hit"|"miss"}}.
 */
@ApplicationScoped
public class CredentialCache {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where a credential was checked; part of the key so that one source's entries never answer another's. */
    public enum Source {
        KEYCLOAK, LOCAL
    }

    /** The key of one credential and the invalidation epoch read before it was checked. */
    public record Ticket(String key, long epoch) {
    }

    private record Entry(String username, Identity identity) {
    }

    private final SecretKeySpec secret;
    private final Cache<String, Entry> entries;
    private final boolean enabled;
    private final Counter hits;
    private final Counter misses;
    /**
     * Counts invalidations: a check that began before one must not record its (possibly stale) result. Written
     * under this object's lock, read without it (volatile), so that look-ups never wait for each other.
     */
    private volatile long epoch;

    @Inject
    public CredentialCache(TokenConfig config, MeterRegistry registry) {
        this(config.credentialCache().ttl(), config.credentialCache().maxSize(), Ticker.systemTicker(), registry);
    }

    CredentialCache(Duration ttl, int maxSize, Ticker ticker, MeterRegistry registry) {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        this.secret = new SecretKeySpec(key, "HmacSHA256");
        this.enabled = !ttl.isZero() && !ttl.isNegative() && maxSize > 0;
        this.entries = Caffeine.newBuilder().expireAfterWrite(enabled ? ttl : Duration.ofNanos(1))
                .maximumSize(Math.max(0, maxSize)).ticker(ticker)
                .executor(Runnable::run) // evictions on the caller, right away (no background pool)
                .build();
        this.hits = Counter.builder("berth.token.credential_cache").tag("result", "hit")
                .description("Token requests whose credentials matched a recent successful check").register(registry);
        this.misses = Counter.builder("berth.token.credential_cache").tag("result", "miss")
                .description("Token requests whose credentials were checked in full").register(registry);
    }

    /** Looks the credential up; a miss returns the ticket to {@link #put} the result of the full check with. */
    public Lookup lookup(Source source, String username, String password) {
        if (!enabled) {
            return new Lookup(Optional.empty(), null);
        }
        // the epoch is read before the full check that may follow: an invalidation during it makes the ticket stale
        long seen = epoch;
        Ticket ticket = new Ticket(key(source, username, password), seen);
        Entry entry = entries.getIfPresent(ticket.key());
        if (entry != null) {
            hits.increment();
            return new Lookup(Optional.of(entry.identity()), ticket);
        }
        misses.increment();
        return new Lookup(Optional.empty(), ticket);
    }

    /** The remembered identity, or empty and the ticket for recording the full check's success. */
    public record Lookup(Optional<Identity> identity, Ticket ticket) {
    }

    /**
     * Records a successful check, unless an invalidation happened since its ticket was issued (the check may have
     * read a password or account state that has changed since).
     */
    public synchronized void put(Ticket ticket, String username, Identity identity) {
        if (ticket == null || ticket.epoch() != epoch) {
            return;
        }
        entries.put(ticket.key(), new Entry(normalize(username), identity));
    }

    /** Drops every entry of a user name (as typed at login, or as the identity names it), at once. */
    public synchronized void invalidate(String username) {
        epoch++;
        String name = normalize(username);
        entries.asMap().values().removeIf(e -> e.username().equals(name)
                || normalize(e.identity().username()).equals(name));
    }

    /** Drops everything (for example after a policy or key change that an operator wants applied at once). */
    public synchronized void invalidateAll() {
        epoch++;
        entries.invalidateAll();
    }

    long size() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /** HMAC-SHA256 over length-prefixed fields, so that ("ab", "c") and ("a", "bc") never share a key. */
    String key(Source source, String username, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            for (String field : new String[] {source.name(), username, password}) {
                byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
                mac.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
                mac.update(bytes);
            }
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static String normalize(String username) {
        return username == null ? "" : username.toLowerCase(Locale.ROOT);
    }
}
