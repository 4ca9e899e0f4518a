package dev.berth.registry.auth;

import dev.berth.core.token.TokenAuthMapping;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * {@code registry.auth.*}: Docker token authentication of the /v2 API (off by default; see docs/authentication.md).
 * The settings of the token check itself (realm, service, issuer, algorithms, JWKS) are {@link TokenAuthMapping}'s.
 */
@ConfigMapping(prefix = "registry.auth")
public interface AuthConfig extends TokenAuthMapping {

    /** When true, every /v2 request needs a bearer token of token-service that covers it. */
    @WithDefault("false")
    boolean enabled();

    /** token-service's JWKS; by default the realm with {@code /token} replaced by {@code /.well-known/jwks.json}. */
    Optional<String> jwksUrl();

    /** The cache of verified tokens (see {@link VerifiedTokenCache}). */
    VerifiedTokenCacheConfig verifiedTokenCache();

    interface VerifiedTokenCacheConfig {
        /**
         * Verified tokens remembered at most ({@code registry.auth.verified-token-cache.max-size}); each entry is a
         * few hundred bytes. 0 verifies every request's token in full.
         */
        @WithDefault("10000")
        long maxSize();
    }

    default String effectiveJwksUrl() {
        return jwksUrl().orElseGet(() -> {
            String realm = realm();
            String base = realm.endsWith("/token") ? realm.substring(0, realm.length() - "/token".length()) : realm;
            return base + "/.well-known/jwks.json";
        });
    }
}
