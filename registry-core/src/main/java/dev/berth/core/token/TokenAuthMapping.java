package dev.berth.core.token;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The settings of verifying token-service's bearer tokens, the same in every service that does it
 * ({@code registry.auth.*}, {@code catalog.auth.*}). A service's own {@code @ConfigMapping} extends this interface,
 * so the mapping annotation stays in the service and registry-core needs no Quarkus bean index.
 */
public interface TokenAuthMapping {

    /** The token endpoint clients are sent to ({@code realm} of the 401 challenge). */
    @WithDefault("http://127.0.0.1:5001/token")
    String realm();

    /** The {@code service} of the challenge; tokens must carry it as {@code aud} (registry-api's registry.auth.service). */
    @WithDefault("berth-registry")
    String service();

    /** The {@code iss} tokens must carry (token-service's {@code token.issuer}). */
    @WithDefault("berth-token-service")
    String issuer();

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

    /** The JWKS settings, with the service's {@code jwks-url} (each service has its own default for it). */
    default JwksKeySet.Settings jwksSettings(String jwksUrl) {
        return new JwksKeySet.Settings(jwksUrl, jwksCacheTtl(), jwksMinRefreshInterval(),
                jwksTrustCertificates().orElse(List.of()));
    }

    default BearerTokenVerifier.Rules rules() {
        return new BearerTokenVerifier.Rules(issuer(), service(), algorithms(), clockSkew());
    }
}
