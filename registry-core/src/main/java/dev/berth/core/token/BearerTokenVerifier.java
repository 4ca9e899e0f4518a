package dev.berth.core.token;

import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwt.consumer.JwtContext;
import org.jose4j.jwx.JsonWebStructure;

/**
 * Verifies a bearer token of token-service: a compact JWS (never {@code none}, never HMAC, never encrypted or
 * nested) whose algorithm is on the allow-list, signed by the {@link JwksKeySet} key its {@code kid} names, with
 * the expected {@code iss} and {@code aud}, with {@code sub}, {@code exp} and {@code iat}, within {@code exp} and
 * {@code nbf} (with a leeway). The key lookup is the only I/O and it is non-blocking, so verification may run on
 * the event loop. What the claims grant, and any caching of verified tokens, is the service's business.
 */
public final class BearerTokenVerifier {
    private static final Set<String> ASYMMETRIC = Set.of("ES256", "ES384", "ES512", "RS256", "RS384", "RS512",
            "PS256", "PS384", "PS512");

    /**
     * @param issuer     the {@code iss} tokens must carry (token-service's {@code token.issuer})
     * @param audience   the {@code aud} tokens must carry (the {@code service} of the challenge)
     * @param algorithms signature algorithms accepted (asymmetric only)
     * @param clockSkew  leeway for {@code exp} and {@code nbf}
     */
    public record Rules(String issuer, String audience, List<String> algorithms, Duration clockSkew) {
    }

    /** A verified token: its subject and claims, the kid and key that verified it, and its {@code exp}. */
    public record VerifiedToken(String subject, JwtClaims claims, String kid, PublicKey key, long expiresAtMillis) {
    }

    private final Rules rules;
    private final JwksKeySet keys;
    private final String[] algorithms;
    private final Set<String> allowed;
    private final JwtConsumer headerOnly = new JwtConsumerBuilder().setSkipAllValidators().setDisableRequireSignature()
            .setSkipSignatureVerification().build();

    /** @param algorithmsSetting the setting {@code rules.algorithms()} comes from, named when one is refused */
    public BearerTokenVerifier(Rules rules, JwksKeySet keys, String algorithmsSetting) {
        this.rules = rules;
        this.keys = keys;
        this.algorithms = rules.algorithms().stream().map(String::trim).toArray(String[]::new);
        for (String alg : algorithms) {
            if (!ASYMMETRIC.contains(alg)) {
                throw new IllegalArgumentException(algorithmsSetting + ": " + alg + " is not an asymmetric JWS algorithm");
            }
        }
        this.allowed = Set.of(algorithms);
    }

    public JwksKeySet keys() {
        return keys;
    }

    /** Verifies {@code token}; fails with {@link InvalidTokenException} when anything is wrong. */
    public CompletionStage<VerifiedToken> verify(String token) {
        JwtContext context;
        String kid;
        try {
            context = parse(token);
            kid = context.getJoseObjects().get(0).getKeyIdHeaderValue();
        } catch (InvalidTokenException e) {
            return CompletableFuture.failedFuture(e);
        }
        PublicKey fresh = keys.freshKey(kid);
        if (fresh != null) {
            try {
                return CompletableFuture.completedFuture(check(context, kid, fresh));
            } catch (InvalidTokenException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return keys.key(kid).thenApply(key -> {
            if (key == null) {
                throw new InvalidTokenException("unknown kid " + kid);
            }
            return check(context, kid, key);
        });
    }

    /** Parses the token without trusting it, refusing early (before any key is looked up) what never passes. */
    private JwtContext parse(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
            // a JWE has five parts: encrypted tokens are not what token-service issues
            throw new InvalidTokenException("not a signed token");
        }
        JwtContext context;
        try {
            context = headerOnly.process(token);
        } catch (InvalidJwtException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (context.getJoseObjects().size() != 1) {
            throw new InvalidTokenException("nested tokens are not accepted");
        }
        JsonWebStructure jws = context.getJoseObjects().get(0);
        String alg = jws.getAlgorithmHeaderValue();
        // none and HS* never get near a key
        if (alg == null || !allowed.contains(alg)) {
            throw new InvalidTokenException("algorithm " + alg + " is not accepted");
        }
        String kid = jws.getKeyIdHeaderValue();
        if (kid == null || kid.isEmpty()) {
            throw new InvalidTokenException("the token names no kid");
        }
        return context;
    }

    private VerifiedToken check(JwtContext context, String kid, PublicKey key) {
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setVerificationKey(key)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, algorithms)
                .setExpectedIssuer(rules.issuer())
                .setExpectedAudience(rules.audience())
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds((int) rules.clockSkew().toSeconds())
                .build();
        try {
            consumer.processContext(context);
            JwtClaims claims = context.getJwtClaims();
            return new VerifiedToken(claims.getSubject(), claims, kid, key, claims.getExpirationTime().getValueInMillis());
        } catch (InvalidJwtException e) {
            throw new InvalidTokenException(e.getErrorDetails().isEmpty() ? "invalid token"
                    : e.getErrorDetails().get(0).getErrorMessage());
        } catch (MalformedClaimException e) {
            throw new InvalidTokenException("malformed claim: " + e.getMessage());
        }
    }
}
