package dev.berth.gc.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.core.token.BearerTokenVerifier;
import dev.berth.core.token.InvalidTokenException;
import dev.berth.core.token.JwksKeySet;
import dev.berth.gc.config.GcConfig;
import dev.berth.gc.error.GcException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Who may use the API: with gc.auth.enabled=false anyone; otherwise the holder of a valid bearer token of
 * token-service ({@link BearerTokenVerifier} with the gc.auth.* settings) whose {@code access} grants
 * {@code registry:gc} (token-service grants it to the registry-admin role). No token or an invalid one: 401 with a
 * challenge naming the token endpoint and the scope {@value #SCOPE}; a valid token without the grant: 403.
 * Verified tokens are remembered (bounded, until their expiry or a minute).
 */
@ApplicationScoped
public class Admins {
    private static final Logger LOG = Logger.getLogger(Admins.class);
    public static final String SCOPE = "registry:gc:*";

    private final boolean enabled;
    private final BearerTokenVerifier verifier;
    private final String challenge;
    private final Cache<String, Verified> verified = Caffeine.newBuilder().maximumSize(1_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    /** @param admin whether the token grants registry:gc; subject: the token's sub */
    private record Verified(String subject, boolean admin, long expiresAtMillis) {
    }

    public Admins(GcConfig config, Vertx vertx) {
        GcConfig.Auth auth = config.auth();
        this.enabled = auth.enabled();
        this.verifier = enabled ? new BearerTokenVerifier(auth.rules(),
                new JwksKeySet(vertx, auth.jwksSettings(auth.jwksUrl())), "gc.auth.algorithms") : null;
        this.challenge = "Bearer realm=\"" + auth.realm() + "\",service=\"" + auth.service() + "\",scope=\"" + SCOPE
                + "\"";
    }

    /**
     * The admin's subject (empty when authentication is off), or a failure with the 401/403 answer.
     */
    public Uni<Optional<String>> admin(String authorization) {
        if (!enabled) {
            return Uni.createFrom().item(Optional.empty());
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                || authorization.length() <= 7) {
            return Uni.createFrom().failure(unauthorized("authentication required"));
        }
        String token = authorization.substring(7).trim();
        Verified hit = verified.getIfPresent(token);
        Uni<Verified> check = hit != null && hit.expiresAtMillis() > System.currentTimeMillis()
                ? Uni.createFrom().item(hit)
                : Uni.createFrom().completionStage(verifier.verify(token)).map(t -> {
                    Verified v = new Verified(t.subject(), grantsGc(t.claims().getClaimValue("access")),
                            t.expiresAtMillis());
                    verified.put(token, v);
                    return v;
                }).onFailure(InvalidTokenException.class).transform(e -> {
                    LOG.debugf("refused token: %s", e.getMessage());
                    return unauthorized("invalid or expired token");
                });
        return check.map(v -> {
            if (!v.admin()) {
                throw GcException.denied("the token does not grant " + SCOPE + " (the registry-admin role's)");
            }
            return Optional.of(v.subject());
        });
    }

    /** Whether {@code access} holds {@code {"type":"registry","name":"gc","actions":[...]}} with any action. */
    static boolean grantsGc(Object access) {
        if (!(access instanceof List<?> entries)) {
            return false;
        }
        return entries.stream().anyMatch(entry -> entry instanceof Map<?, ?> map && "registry".equals(map.get("type"))
                && "gc".equals(map.get("name")) && map.get("actions") instanceof List<?> actions && !actions.isEmpty());
    }

    private GcException unauthorized(String message) {
        return new GcException(401, "UNAUTHORIZED", message, null, Map.of("WWW-Authenticate", challenge));
    }
}
