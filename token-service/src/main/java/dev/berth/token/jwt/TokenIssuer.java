package dev.berth.token.jwt;

import dev.berth.token.config.TokenConfig;
import dev.berth.token.identity.Identity;
import dev.berth.token.keys.SigningKeys;
import dev.berth.token.scope.Access;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * Signs the registry tokens: {@code iss}, {@code sub}, {@code aud} (the service), {@code exp}, {@code nbf},
 * {@code iat}, {@code jti}, {@code access} ({@code [{type,name,actions}]}), with {@code kid} and {@code alg}
 * in the header; and {@code pullable} (repository globs) when the catalog was asked for but not granted.
 */
@ApplicationScoped
public class TokenIssuer {
    private final TokenConfig config;
    private final SigningKeys keys;

    public TokenIssuer(TokenConfig config, SigningKeys keys) {
        this.config = config;
        this.keys = keys;
    }

    /** A signed token and when it was issued. */
    public record Issued(String token, Instant issuedAt, long expiresIn) {
    }

    public Issued issue(Identity identity, String service, List<Access> access) {
        return issue(identity, service, access, null);
    }

    /** As {@link #issue(Identity, String, List)}, with a {@code pullable} claim unless {@code pullable} is null. */
    public Issued issue(Identity identity, String service, List<Access> access, List<String> pullable) {
        Instant now = Instant.now();
        long lifetime = config.lifetime().toSeconds();
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(config.issuer());
        claims.setSubject(identity.username());
        claims.setAudience(service);
        claims.setExpirationTime(NumericDate.fromSeconds(now.getEpochSecond() + lifetime));
        claims.setNotBefore(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setIssuedAt(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setJwtId(UUID.randomUUID().toString());
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Access a : access) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", a.type());
            entry.put("name", a.name());
            entry.put("actions", a.actions());
            entries.add(entry);
        }
        claims.setClaim("access", entries);
        if (pullable != null) {
            claims.setStringListClaim("pullable", pullable);
        }
        SigningKeys.Key key = keys.active();
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.jwk().getPrivateKey());
        jws.setKeyIdHeaderValue(key.kid());
        jws.setAlgorithmHeaderValue(key.algorithm());
        jws.setHeader("typ", "JWT");
        try {
            return new Issued(jws.getCompactSerialization(), now, lifetime);
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
    }
}
