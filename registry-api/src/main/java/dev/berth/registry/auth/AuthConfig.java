package dev.berth.registry.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code registry.auth.*}: Docker token authentication of the /v2 API (off by default; see docs/authentication.md). */
@ConfigMapping(prefix = "registry.auth")
public interface AuthConfig {

    /** When true, every /v2 request needs a bearer token of token-service that covers it. */
    @WithDefault("false")
    boolean enabled();

    /** The token endpoint clients are sent to ({@code realm} of the challenge). */
    @WithDefault("http://127.0.0.1:5001/token")
    String realm();

    /** The {@code service} of the challenge; tokens must carry it as {@code aud}. */
    @WithDefault("berth-registry")
    String service();

    /** The {@code iss} tokens must carry (token-service's {@code token.issuer}). */
    @WithDefault("berth-token-service")
    String issuer();

    /** token-service's JWKS; by default the realm with {@code /token} replaced by {@code /.well-known/jwks.json}. */
    Optional<String> jwksUrl();

    /**
     * PEM files of the certificate authorities trusted when the JWKS is fetched over {@code https} (for example the
     * local CA of {@code deploy/local/up --tls}); unset: the JVM's default trust store. The host name is always verified.
     */
    Optional<List<String>> jwksTrustCertificates();

    /** Signature algorithms accepted (asymmetric only: {@code none} and HMAC are always refused). */
    @WithDefault("ES256,RS256")
    List<String> algorithms();

    /** Leeway for {@code exp} and {@code nbf}. */
    @WithDefault("PT30S")
    Duration clockSkew();

    /** The JWKS is fetched again after this long, and at once when a token names an unknown {@code kid}. */
    @WithDefault("PT5M")
    Duration jwksCacheTtl();

    /** At most one JWKS fetch per this interval for unknown {@code kid}s (a guard against floods of made-up kids). */
    @WithDefault("PT5S")
    Duration jwksMinRefreshInterval();

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
