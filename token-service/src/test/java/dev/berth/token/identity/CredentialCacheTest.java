package dev.berth.token.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.token.identity.CredentialCache.Source;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CredentialCacheTest {
    private static final Identity ALICE = new Identity("alice", Identity.Kind.LOCAL_USER, Set.of("r"), Set.of("/g"));

    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private CredentialCache cache(Duration ttl) {
        return new CredentialCache(ttl, 100, ticker, meters);
    }

    private static void remember(CredentialCache cache, Source source, String user, String password, Identity identity) {
        CredentialCache.Lookup miss = cache.lookup(source, user, password);
        assertThat(miss.identity()).isEmpty();
        cache.put(miss.ticket(), user, identity);
    }

    private double count(String result) {
        return meters.counter("berth.token.credential_cache", "result", result).count();
    }

    @Test
    void keysAreAnHmacUnderAPerProcessSecretAndNeverHoldThePassword() {
        CredentialCache one = cache(Duration.ofMinutes(1));
        CredentialCache other = cache(Duration.ofMinutes(1));
        String key = one.key(Source.LOCAL, "alice", "alice-password");
        assertThat(key).hasSize(64).isEqualTo(one.key(Source.LOCAL, "alice", "alice-password"));
        // another process (another secret) cannot compute or recognise the keys
        assertThat(other.key(Source.LOCAL, "alice", "alice-password")).isNotEqualTo(key);
        assertThat(key).doesNotContain("alice").doesNotContain(
                HexFormat.of().formatHex("alice-password".getBytes(StandardCharsets.UTF_8)));
        // every part counts, and the fields cannot be shifted into one another
        assertThat(one.key(Source.KEYCLOAK, "alice", "alice-password")).isNotEqualTo(key);
        assertThat(one.key(Source.LOCAL, "alice", "alice-passwore")).isNotEqualTo(key);
        assertThat(one.key(Source.LOCAL, "alicea", "lice-password")).isNotEqualTo(key);
    }

    @Test
    void aSuccessIsServedAgainButAWrongPasswordNever() {
        CredentialCache cache = cache(Duration.ofMinutes(1));
        remember(cache, Source.LOCAL, "alice", "alice-password", ALICE);
        assertThat(cache.lookup(Source.LOCAL, "alice", "alice-password").identity()).contains(ALICE);
        assertThat(count("hit")).isEqualTo(1);
        assertThat(cache.lookup(Source.LOCAL, "alice", "wrong").identity()).isEmpty();
        assertThat(cache.lookup(Source.LOCAL, "Alice", "alice-password").identity()).isEmpty();
        assertThat(cache.lookup(Source.KEYCLOAK, "alice", "alice-password").identity()).isEmpty();
        assertThat(count("hit")).isEqualTo(1);
        assertThat(count("miss")).isEqualTo(4);
    }

    @Test
    void entriesExpireAfterTheTtl() {
        CredentialCache cache = cache(Duration.ofSeconds(60));
        remember(cache, Source.KEYCLOAK, "alice", "alice-password", ALICE);
        nanos.addAndGet(Duration.ofSeconds(59).toNanos());
        assertThat(cache.lookup(Source.KEYCLOAK, "alice", "alice-password").identity()).contains(ALICE);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(cache.lookup(Source.KEYCLOAK, "alice", "alice-password").identity()).isEmpty();
    }

    @Test
    void invalidatingAUserDropsItsEntriesAndOnlyThose() {
        CredentialCache cache = cache(Duration.ofMinutes(1));
        Identity bob = new Identity("bob", Identity.Kind.LOCAL_USER, Set.of(), Set.of());
        remember(cache, Source.LOCAL, "alice", "alice-password", ALICE);
        remember(cache, Source.LOCAL, "alice", "second-password", ALICE);
        remember(cache, Source.LOCAL, "bob", "bob-password", bob);
        cache.invalidate("ALICE"); // user names compare without case, as Keycloak's do
        assertThat(cache.lookup(Source.LOCAL, "alice", "alice-password").identity()).isEmpty();
        assertThat(cache.lookup(Source.LOCAL, "alice", "second-password").identity()).isEmpty();
        assertThat(cache.lookup(Source.LOCAL, "bob", "bob-password").identity()).contains(bob);
        // by the identity's name too (a Keycloak login typed as another spelling of the user name)
        Identity carol = new Identity("carol", Identity.Kind.KEYCLOAK_USER, Set.of(), Set.of());
        remember(cache, Source.KEYCLOAK, "carol@example.com", "pw", carol);
        cache.invalidate("carol");
        assertThat(cache.lookup(Source.KEYCLOAK, "carol@example.com", "pw").identity()).isEmpty();
    }

    @Test
    void aCheckThatBeganBeforeAnInvalidationIsNotRecorded() {
        CredentialCache cache = cache(Duration.ofMinutes(1));
        CredentialCache.Lookup before = cache.lookup(Source.LOCAL, "alice", "old-password");
        // the password changes while the (slow) check of the old one runs
        cache.invalidate("alice");
        cache.put(before.ticket(), "alice", ALICE);
        assertThat(cache.lookup(Source.LOCAL, "alice", "old-password").identity()).isEmpty();
        assertThat(cache.size()).isZero();
    }

    @Test
    void aTtlOfZeroDisablesTheCache() {
        CredentialCache cache = cache(Duration.ZERO);
        CredentialCache.Lookup miss = cache.lookup(Source.LOCAL, "alice", "alice-password");
        cache.put(miss.ticket(), "alice", ALICE);
        assertThat(cache.lookup(Source.LOCAL, "alice", "alice-password").identity()).isEmpty();
        assertThat(cache.size()).isZero();
    }

    @Test
    void theSizeIsCapped() {
        CredentialCache cache = new CredentialCache(Duration.ofMinutes(1), 10, ticker, meters);
        for (int i = 0; i < 50; i++) {
            remember(cache, Source.LOCAL, "user" + i, "pw", ALICE);
        }
        assertThat(cache.size()).isLessThanOrEqualTo(10);
    }
}
