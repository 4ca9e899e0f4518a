package dev.berth.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTCallerPrincipalFactory;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.jwt.Claims;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Verifies a bearer token of token-service with SmallRye JWT: a JWS (never {@code none}, never HMAC) whose
 * algorithm is on the allow-list, signed by the JWKS key its {@code kid} names, with the expected {@code iss}
 * and {@code aud}, within {@code exp} and {@code nbf} (with a small leeway). Yields the subject and the
 * granted access. The key comes from {@link JwksKeys} (non-blocking), so verification itself does no I/O
 * and may run on the event loop.
 */
@ApplicationScoped
public class TokenVerifier {
    private static final Set<SignatureAlgorithm> ASYMMETRIC = EnumSet.of(
            SignatureAlgorithm.ES256, SignatureAlgorithm.ES384, SignatureAlgorithm.ES512,
            SignatureAlgorithm.RS256, SignatureAlgorithm.RS384, SignatureAlgorithm.RS512,
            SignatureAlgorithm.PS256, SignatureAlgorithm.PS384, SignatureAlgorithm.PS512);

    private final JwksKeys keys;
    private final ObjectMapper mapper;
    private final Set<String> algorithms;
    private final JWTAuthContextInfo context;
    private final JWTParser parser;
    private final VerifiedTokenCache cache;

    public TokenVerifier(AuthConfig config, JwksKeys keys, ObjectMapper mapper) {
        this.keys = keys;
        this.mapper = mapper;
        long maxSize = config.verifiedTokenCache().maxSize();
        if (maxSize < 0) {
            throw new IllegalArgumentException("registry.auth.verified-token-cache.max-size must not be negative");
        }
        this.cache = maxSize == 0 ? null
                : new VerifiedTokenCache(maxSize, System::currentTimeMillis, com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        if (cache != null) {
            // a kid dropped from (or re-bound in) the JWKS ends its tokens at once, not at their exp
            keys.onKeysWithdrawn(cache::forget);
        }
        Set<SignatureAlgorithm> allowed = EnumSet.noneOf(SignatureAlgorithm.class);
        for (String alg : config.algorithms()) {
            SignatureAlgorithm known = ASYMMETRIC.stream().filter(a -> a.getAlgorithm().equals(alg.trim())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(
                            "registry.auth.algorithms: " + alg + " is not an asymmetric JWS algorithm"));
            allowed.add(known);
        }
        this.algorithms = allowed.stream().map(SignatureAlgorithm::getAlgorithm).collect(Collectors.toUnmodifiableSet());

        context = new JWTAuthContextInfo();
        context.setSignatureAlgorithm(allowed);
        context.setIssuedBy(config.issuer());
        context.setExpectedAudience(Set.of(config.service()));
        context.setClockSkew((int) config.clockSkew().toSeconds());
        // exp (and iat) are required by SmallRye anyway; sub is what the registry logs as the caller
        context.setRequiredClaims(Set.of(Claims.sub.name(), Claims.exp.name()));
        // SmallRye's default accepts RSA keys shorter than 2048 bits
        context.setRelaxVerificationKeyValidation(false);
        // no ServiceLoader look-up: the library is used without its CDI integration
        parser = new DefaultJWTParser(context, new DefaultJWTCallerPrincipalFactory());
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

    private record Header(String alg, String kid) {
    }

    /** Fails with {@link InvalidToken} when anything is wrong. */
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
        return verifyInFull(token);
    }

    private Uni<Verified> verifyInFull(String token) {
        Header header;
        try {
            header = header(token);
        } catch (InvalidToken e) {
            return Uni.createFrom().failure(e);
        }
        // checked before any key is looked up: none and HS* never get near a key
        if (header.alg() == null || !algorithms.contains(header.alg())) {
            return Uni.createFrom().failure(new InvalidToken("algorithm " + header.alg() + " is not accepted"));
        }
        if (header.kid() == null || header.kid().isEmpty()) {
            return Uni.createFrom().failure(new InvalidToken("the token names no kid"));
        }
        return keys.key(header.kid()).map(key -> {
            if (key == null) {
                throw new InvalidToken("unknown kid " + header.kid());
            }
            return verified(token, header.kid(), key);
        });
    }

    private Verified verified(String token, String kid, PublicKey key) {
        // a copy per key rather than JWTParser.verify(token, key): verify() swaps in ES256/RS256 as the only
        // algorithm when the allow-list has none of the key's family, which must not widen our allow-list
        JWTAuthContextInfo withKey = new JWTAuthContextInfo(context);
        withKey.setPublicVerificationKey(key);
        try {
            JsonWebToken jwt = parser.parse(token, withKey);
            if (!(jwt.getClaim(Claims.sub.name()) instanceof String subject)) {
                throw new InvalidToken("sub is not a string");
            }
            Verified verified = new Verified(subject, access(jwt.getClaim("access")));
            if (cache != null) {
                cache.put(token, new VerifiedTokenCache.Entry(verified, kid, key, jwt.getExpirationTime() * 1000L));
            }
            return verified;
        } catch (ParseException e) {
            Throwable cause = e.getCause();
            throw new InvalidToken(cause != null && cause.getMessage() != null ? cause.getMessage() : e.getMessage());
        } catch (InvalidToken e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidToken("malformed token: " + e.getMessage());
        }
    }

    /** The JOSE header of a compact JWS, read before anything is verified (only to pick the key and refuse early). */
    private Header header(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
            // a JWE has five parts: encrypted tokens are not what token-service issues
            throw new InvalidToken("not a signed token");
        }
        try {
            JsonNode json = mapper.readTree(Base64.getUrlDecoder().decode(token.substring(0, first)));
            if (json == null || !json.isObject()) {
                throw new InvalidToken("malformed token header");
            }
            return new Header(text(json.get("alg")), text(json.get("kid")));
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidToken("malformed token");
        }
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    /** The {@code access} claim: SmallRye hands custom claims out as JSON-P values. */
    private static List<Grant> access(Object value) {
        List<Grant> grants = new ArrayList<>();
        if (value instanceof JsonArray list) {
            for (JsonValue entry : list) {
                if (entry instanceof JsonObject map && map.get("type") instanceof JsonString type
                        && map.get("name") instanceof JsonString name && map.get("actions") instanceof JsonArray actions) {
                    List<String> names = actions.stream().filter(JsonString.class::isInstance)
                            .map(a -> ((JsonString) a).getString()).toList();
                    grants.add(new Grant(type.getString(), name.getString(), names));
                }
            }
        }
        return List.copyOf(grants);
    }

    /** Whether this token's verification is held in the cache now (for tests). */
    boolean isCached(String token) {
        return cache != null && cache.get(token) != null;
    }

    /** The token cannot be trusted; the reason is for the log only. */
    public static class InvalidToken extends RuntimeException {
        public InvalidToken(String reason) {
            super(reason, null, false, false);
        }
    }
}
