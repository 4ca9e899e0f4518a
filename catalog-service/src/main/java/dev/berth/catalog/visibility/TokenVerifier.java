package dev.berth.catalog.visibility;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.catalog.config.CatalogConfig;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwt.consumer.JwtContext;
import org.jose4j.jwx.JsonWebStructure;

/**
 * Verifies a bearer token of token-service: a JWS (asymmetric algorithms of {@code catalog.auth.algorithms}
 * only) signed by the JWKS key its {@code kid} names, with the expected {@code iss} and {@code aud}, within
 * {@code exp}/{@code nbf}. Yields who the caller is and what it may see: all when {@code access} grants
 * {@code registry:catalog:*}, else the {@code pullable} globs. Verified tokens are remembered (bounded, until
 * their expiry or a minute) so a page request costs no signature check; verification itself does no I/O.
 */
@ApplicationScoped
public class TokenVerifier {
    private static final Set<String> ASYMMETRIC = Set.of("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256",
            "PS384", "PS512");

    private final CatalogConfig.Auth config;
    private final JwksKeys keys;
    private final String[] algorithms;
    private final JwtConsumer headerOnly = new JwtConsumerBuilder().setSkipAllValidators().setDisableRequireSignature()
            .setSkipSignatureVerification().build();
    private final Cache<String, Verified> verified = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    private record Verified(Caller caller, long expiresAtMillis) {
    }

    public TokenVerifier(CatalogConfig config, JwksKeys keys) {
        this.config = config.auth();
        this.keys = keys;
        for (String alg : this.config.algorithms()) {
            if (!ASYMMETRIC.contains(alg.trim())) {
                throw new IllegalArgumentException("catalog.auth.algorithms: " + alg + " is not an asymmetric JWS algorithm");
            }
        }
        this.algorithms = this.config.algorithms().stream().map(String::trim).toArray(String[]::new);
    }

    /** The caller of a valid token; fails with {@link InvalidToken} otherwise. */
    public Uni<Caller> verify(String token) {
        Verified hit = verified.getIfPresent(token);
        if (hit != null && hit.expiresAtMillis() > System.currentTimeMillis()) {
            return Uni.createFrom().item(hit.caller());
        }
        JwtContext context;
        JsonWebStructure jws;
        try {
            context = headerOnly.process(token);
            if (context.getJoseObjects().size() != 1) {
                throw new InvalidToken("nested tokens are not accepted");
            }
            jws = context.getJoseObjects().get(0);
        } catch (InvalidJwtException e) {
            return Uni.createFrom().failure(new InvalidToken("malformed token"));
        } catch (InvalidToken e) {
            return Uni.createFrom().failure(e);
        }
        String alg = jws.getAlgorithmHeaderValue();
        String kid = jws.getKeyIdHeaderValue();
        if (alg == null || !List.of(algorithms).contains(alg)) {
            return Uni.createFrom().failure(new InvalidToken("algorithm " + alg + " is not accepted"));
        }
        if (kid == null || kid.isEmpty()) {
            return Uni.createFrom().failure(new InvalidToken("the token names no kid"));
        }
        return keys.key(kid).map(key -> {
            if (key == null) {
                throw new InvalidToken("unknown kid " + kid);
            }
            return check(token, context, key);
        });
    }

    private Caller check(String token, JwtContext context, PublicKey key) {
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setVerificationKey(key)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, algorithms)
                .setExpectedIssuer(config.issuer())
                .setExpectedAudience(config.service())
                .setRequireExpirationTime()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds((int) config.clockSkew().toSeconds())
                .build();
        try {
            consumer.processContext(context);
            JwtClaims claims = context.getJwtClaims();
            Caller caller = seesAll(claims.getClaimValue("access")) ? new Caller(claims.getSubject(), null)
                    : Caller.of(claims.getSubject(), strings(claims.getClaimValue("pullable")));
            verified.put(token, new Verified(caller, claims.getExpirationTime().getValueInMillis()));
            return caller;
        } catch (InvalidJwtException e) {
            throw new InvalidToken(e.getErrorDetails().isEmpty() ? "invalid token" : e.getErrorDetails().get(0).getErrorMessage());
        } catch (MalformedClaimException e) {
            throw new InvalidToken("malformed claim: " + e.getMessage());
        }
    }

    /** Whether {@code access} holds {@code {"type":"registry","name":"catalog","actions":["*"]}}. */
    static boolean seesAll(Object access) {
        if (!(access instanceof List<?> entries)) {
            return false;
        }
        for (Object entry : entries) {
            if (entry instanceof Map<?, ?> map && "registry".equals(map.get("type")) && "catalog".equals(map.get("name"))
                    && map.get("actions") instanceof List<?> actions && actions.contains("*")) {
                return true;
            }
        }
        return false;
    }

    private static List<String> strings(Object value) {
        if (!(value instanceof List<?> list)) {
            return List.of();
        }
        return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
    }

    /** The token cannot be trusted; the reason is for the log only. */
    public static class InvalidToken extends RuntimeException {
        public InvalidToken(String reason) {
            super(reason, null, false, false);
        }
    }
}
