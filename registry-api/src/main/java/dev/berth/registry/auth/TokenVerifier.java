package dev.berth.registry.auth;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.berth.core.token.BearerTokenVerifier;
import dev.berth.core.token.InvalidTokenException;
import dev.berth.core.token.JwksKeySet;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Verifies a bearer token of token-service ({@link BearerTokenVerifier} of registry-core: allow-listed asymmetric
 * JWS, key from the JWKS by {@code kid}, {@code iss}, {@code aud}, {@code exp}, {@code nbf}) and yields the subject
 * and the granted access. Verified tokens are remembered in a {@link VerifiedTokenCache}, so a client's next
 * requests with the same token cost no signature check. Verification does no blocking I/O and may run on the
 * event loop.
 */
@ApplicationScoped
public class TokenVerifier {

    private final JwksKeySet keys;
    private final BearerTokenVerifier verifier;
    private final VerifiedTokenCache cache;

    public TokenVerifier(AuthConfig config, Vertx vertx) {
        long maxSize = config.verifiedTokenCache().maxSize();
        if (maxSize < 0) {
            throw new IllegalArgumentException("registry.auth.verified-token-cache.max-size must not be negative");
        }
        this.keys = new JwksKeySet(vertx, config.jwksSettings(config.effectiveJwksUrl()));
        this.verifier = new BearerTokenVerifier(config.rules(), keys, "registry.auth.algorithms");
        this.cache = maxSize == 0 ? null : new VerifiedTokenCache(maxSize, System::currentTimeMillis, Ticker.systemTicker());
        if (cache != null) {
            // a kid dropped from (or re-bound in) the JWKS ends its tokens at once, not at their exp
            keys.onKeysWithdrawn(cache::forget);
        }
    }

    /** A verified token: who, and the (type, name, action) triples it grants. */
    public record Verified(String subject, List<Grant> access) {
        public boolean allows(String type, String name, String action) {
            for (Grant grant : access) {
                if (grant.type().equals(type) && grant.name().equals(name)
                        && (grant.actions().contains(action) || grant.actions().contains("*"))) {
                    return true;
                }
            }
            return false;
        }
    }

    public record Grant(String type, String name, List<String> actions) {
    }

    /** Fails with {@link InvalidTokenException} when anything is wrong. */
    public Uni<Verified> verify(String token) {
        if (cache != null) {
            VerifiedTokenCache.Entry hit = cache.get(token);
            if (hit != null) {
                // used only while the JWKS is fresh and still binds the kid to the key that verified the token
                PublicKey current = keys.freshKey(hit.kid());
                if (current != null && (current == hit.key() || current.equals(hit.key()))) {
                    return Uni.createFrom().item(hit.verified());
                }
            }
        }
        return Uni.createFrom().completionStage(verifier.verify(token)).map(checked -> {
            Verified verified = new Verified(checked.subject(), access(checked.claims().getClaimValue("access")));
            if (cache != null) {
                cache.put(token, new VerifiedTokenCache.Entry(verified, checked.kid(), checked.key(), checked.expiresAtMillis()));
            }
            return verified;
        });
    }

    /** The {@code access} claim: a list of {@code {"type","name","actions":[…]}} objects. */
    private static List<Grant> access(Object value) {
        List<Grant> grants = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object entry : list) {
                if (entry instanceof Map<?, ?> map && map.get("type") instanceof String type
                        && map.get("name") instanceof String name && map.get("actions") instanceof List<?> actions) {
                    List<String> names = actions.stream().filter(String.class::isInstance).map(String.class::cast).toList();
                    grants.add(new Grant(type, name, names));
                }
            }
        }
        return List.copyOf(grants);
    }

    /** Whether this token's verification is held in the cache now (for tests). */
    boolean isCached(String token) {
        return cache != null && cache.get(token) != null;
    }
}
