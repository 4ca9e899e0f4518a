package dev.berth.token.identity;

import dev.berth.token.config.TokenConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.json.JsonUtil;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jose4j.lang.JoseException;

/**
 * OIDC federation: a JWT of a trusted issuer (for example the token a CI platform gives each job) presented
 * as the password. It is verified locally against the issuer's JWKS (fetched, cached, and fetched again when
 * a token names an unknown {@code kid}): signature with an asymmetric algorithm, issuer, audience, expiry and
 * not-before. The configured claims become the caller's user name, groups and roles.
 */
@ApplicationScoped
public class FederatedTokens {
    private static final Logger LOG = Logger.getLogger(FederatedTokens.class);
    private static final Pattern JWT = Pattern.compile("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$");
    private static final String[] ASYMMETRIC = {
        AlgorithmIdentifiers.RSA_USING_SHA256, AlgorithmIdentifiers.RSA_USING_SHA384, AlgorithmIdentifiers.RSA_USING_SHA512,
        AlgorithmIdentifiers.RSA_PSS_USING_SHA256, AlgorithmIdentifiers.RSA_PSS_USING_SHA384, AlgorithmIdentifiers.RSA_PSS_USING_SHA512,
        AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256, AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384,
        AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512, AlgorithmIdentifiers.EDDSA
    };

    private record Trusted(String name, TokenConfig.FederatedIssuer config, JwtConsumer consumer) {
    }

    private final Map<String, Trusted> byIssuer = new LinkedHashMap<>();

    public FederatedTokens(TokenConfig config) {
        config.federation().forEach((name, issuer) -> {
            HttpsJwks jwks = new HttpsJwks(issuer.jwksUrl());
            jwks.setDefaultCacheDuration(300);
            jwks.setRetainCacheOnErrorDuration(60);
            HttpsJwksVerificationKeyResolver resolver = new HttpsJwksVerificationKeyResolver(jwks);
            JwtConsumer consumer = new JwtConsumerBuilder()
                    .setRequireExpirationTime()
                    .setRequireIssuedAt()
                    .setAllowedClockSkewInSeconds(30)
                    .setExpectedIssuer(issuer.issuer())
                    .setExpectedAudience(issuer.audience())
                    .setRequireSubject()
                    .setVerificationKeyResolver(resolver)
                    .setJwsAlgorithmConstraints(new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, ASYMMETRIC))
                    .build();
            byIssuer.put(issuer.issuer(), new Trusted(name, issuer, consumer));
            LOG.infof("trusting OIDC issuer %s (%s) for federated logins, audience %s", name, issuer.issuer(), issuer.audience());
        });
    }

    /** Whether the password is a JWT whose {@code iss} is a trusted issuer (checked without verifying it yet). */
    public boolean handles(String password) {
        return issuerOf(password).map(byIssuer::containsKey).orElse(false);
    }

    /** Verifies the token and maps it to an identity; {@link AuthenticationFailed} when it does not verify. */
    public Identity verify(String token) {
        String iss = issuerOf(token).orElseThrow(() -> new AuthenticationFailed("not a JWT"));
        Trusted trusted = byIssuer.get(iss);
        if (trusted == null) {
            throw new AuthenticationFailed("untrusted issuer " + iss);
        }
        JwtClaims claims;
        try {
            claims = trusted.consumer().processToClaims(token);
        } catch (InvalidJwtException e) {
            if (e.getCause() instanceof JoseException && e.getMessage() != null && e.getMessage().contains("Unable to find")) {
                LOG.debugf("federated token of %s: %s", trusted.name(), e.getMessage());
            }
            throw new AuthenticationFailed("federated token of " + trusted.name() + " refused: " + e.getMessage());
        }
        TokenConfig.FederatedIssuer config = trusted.config();
        Object name = claim(claims.getClaimsMap(), config.usernameClaim());
        if (!(name instanceof String s) || s.isBlank()) {
            throw new AuthenticationFailed("federated token of " + trusted.name() + " has no claim " + config.usernameClaim());
        }
        return new Identity(config.usernamePrefix().orElse("") + s, Identity.Kind.FEDERATED,
                strings(claim(claims.getClaimsMap(), config.rolesClaim())),
                strings(claim(claims.getClaimsMap(), config.groupsClaim())));
    }

    private static Optional<String> issuerOf(String token) {
        if (token == null || token.length() > 16384 || !JWT.matcher(token).matches()) {
            return Optional.empty();
        }
        try {
            String payload = new String(Base64.getUrlDecoder().decode(token.substring(token.indexOf('.') + 1,
                    token.lastIndexOf('.'))), StandardCharsets.UTF_8);
            Object iss = JsonUtil.parseJson(payload).get("iss");
            return iss instanceof String s ? Optional.of(s) : Optional.empty();
        } catch (IllegalArgumentException | JoseException e) {
            return Optional.empty();
        }
    }

    /** A claim by dot path ({@code realm_access.roles}). */
    @SuppressWarnings("unchecked")
    private static Object claim(Map<String, Object> claims, String path) {
        Object current = claims;
        for (String part : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = ((Map<String, Object>) map).get(part);
        }
        return current;
    }

    private static Set<String> strings(Object value) {
        Set<String> result = new LinkedHashSet<>();
        if (value instanceof Collection<?> list) {
            list.forEach(v -> result.add(String.valueOf(v)));
        } else if (value instanceof String s) {
            result.addAll(List.of(s.split("[ ,]+")));
        }
        result.remove("");
        return result;
    }
}
