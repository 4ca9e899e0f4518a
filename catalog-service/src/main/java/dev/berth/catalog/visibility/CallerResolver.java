package dev.berth.catalog.visibility;

import dev.berth.catalog.config.CatalogConfig;
import dev.berth.catalog.error.CatalogException;
import dev.berth.core.token.InvalidTokenException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Who asks, from the {@code Authorization} header: with {@code catalog.auth.enabled=false} everyone sees
 * everything; otherwise a valid bearer token of token-service is required (401 with a challenge naming the
 * token endpoint and the {@code registry:catalog:*} scope without one).
 */
@ApplicationScoped
public class CallerResolver {
    private static final Logger LOG = Logger.getLogger(CallerResolver.class);

    private final CatalogConfig.Auth config;
    private final TokenVerifier verifier;
    private final String challenge;

    public CallerResolver(CatalogConfig config, TokenVerifier verifier) {
        this.config = config.auth();
        this.verifier = verifier;
        this.challenge = "Bearer realm=\"" + this.config.realm() + "\",service=\"" + this.config.service()
                + "\",scope=\"registry:catalog:*\"";
    }

    public Uni<Caller> caller(String authorization) {
        if (!config.enabled()) {
            return Uni.createFrom().item(Caller.EVERYONE);
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                || authorization.length() <= 7) {
            return Uni.createFrom().failure(unauthorized("authentication required"));
        }
        return verifier.verify(authorization.substring(7).trim())
                .onFailure(InvalidTokenException.class).transform(e -> {
                    LOG.debugf("refused token: %s", e.getMessage());
                    return unauthorized("invalid or expired token");
                });
    }

    /** An admin: a caller that sees everything (a {@code registry:catalog:*} holder, or anyone without auth). */
    public Uni<Caller> admin(String authorization) {
        return caller(authorization).invoke(c -> {
            if (!c.seesAll()) {
                throw CatalogException.denied("an admin token (scope registry:catalog:*) is required");
            }
        });
    }

    private CatalogException unauthorized(String message) {
        return new CatalogException(401, "UNAUTHORIZED", message, Map.of("WWW-Authenticate", challenge));
    }
}
