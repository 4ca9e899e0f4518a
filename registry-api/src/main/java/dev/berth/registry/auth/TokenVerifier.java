package dev.berth.registry.auth;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.lang.JoseException;

/**
 * Verifies a bearer token of token-service: a JWS (never {@code none}, never HMAC) whose algorithm is on the
 * allow-list, signed by the JWKS key its {@code kid} names, with the expected {@code iss} and {@code aud},
 * within {@code exp} and {@code nbf} (with a small leeway). Yields the subject and the granted access.
 */
@ApplicationScoped
public class TokenVerifier {
    private static final Set<String> ASYMMETRIC = Set.of(
            AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256, AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384,
            AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512, AlgorithmIdentifiers.RSA_USING_SHA256,
            AlgorithmIdentifiers.RSA_USING_SHA384, AlgorithmIdentifiers.RSA_USING_SHA512,
            AlgorithmIdentifiers.RSA_PSS_USING_SHA256, AlgorithmIdentifiers.RSA_PSS_USING_SHA384,
            AlgorithmIdentifiers.RSA_PSS_USING_SHA512);

    private final AuthConfig config;
    private final JwksKeys keys;
    private final String[] algorithms;

    public TokenVerifier(AuthConfig config, JwksKeys keys) {
        this.config = config;
        this.keys = keys;
        List<String> allowed = new ArrayList<>();
        for (String alg : config.algorithms()) {
            if (!ASYMMETRIC.contains(alg.trim())) {
                throw new IllegalArgumentException("registry.auth.algorithms: " + alg + " is not an asymmetric JWS algorithm");
            }
            allowed.add(alg.trim());
        }
        this.algorithms = allowed.toArray(String[]::new);
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

    /** Fails with {@link InvalidToken} when anything is wrong. */
    public Uni<Verified> verify(String token) {
        JsonWebSignature jws;
        try {
            JsonWebStructure structure = JsonWebStructure.fromCompactSerialization(token);
            if (!(structure instanceof JsonWebSignature signature)) {
                return Uni.createFrom().failure(new InvalidToken("not a signed token"));
            }
            jws = signature;
        } catch (JoseException e) {
            return Uni.createFrom().failure(new InvalidToken("malformed token"));
        }
        String alg = jws.getAlgorithmHeaderValue();
        if (alg == null || !List.of(algorithms).contains(alg)) {
            return Uni.createFrom().failure(new InvalidToken("algorithm " + alg + " is not accepted"));
        }
        String kid = jws.getKeyIdHeaderValue();
        if (kid == null || kid.isEmpty()) {
            return Uni.createFrom().failure(new InvalidToken("the token names no kid"));
        }
        return keys.key(kid).map(key -> {
            if (key == null) {
                throw new InvalidToken("unknown kid " + kid);
            }
            JwtConsumer consumer = new JwtConsumerBuilder()
                    .setVerificationKey(key.getPublicKey())
                    .setJwsAlgorithmConstraints(new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, algorithms))
                    .setExpectedIssuer(config.issuer())
                    .setExpectedAudience(config.service())
                    .setRequireExpirationTime()
                    .setAllowedClockSkewInSeconds((int) config.clockSkew().toSeconds())
                    .setRequireSubject()
                    .build();
            try {
                JwtClaims claims = consumer.processToClaims(token);
                return new Verified(claims.getSubject(), access(claims));
            } catch (InvalidJwtException | MalformedClaimException e) {
                throw new InvalidToken(e.getMessage());
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static List<Grant> access(JwtClaims claims) {
        Object value = claims.getClaimValue("access");
        List<Grant> grants = new ArrayList<>();
        if (value instanceof List<?> list) {
            for (Object entry : list) {
                if (entry instanceof Map<?, ?> map && map.get("type") instanceof String type
                        && map.get("name") instanceof String name && map.get("actions") instanceof List<?> actions) {
                    grants.add(new Grant(type, name, (List<String>) actions.stream().map(String::valueOf).toList()));
                }
            }
        }
        return grants;
    }

    /** The token cannot be trusted; the reason is for the log only. */
    public static class InvalidToken extends RuntimeException {
        public InvalidToken(String reason) {
            super(reason, null, false, false);
        }
    }
}
