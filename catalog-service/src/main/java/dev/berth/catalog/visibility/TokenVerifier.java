package dev.berth.catalog.visibility;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.berth.catalog.config.CatalogConfig;
import dev.berth.core.token.BearerTokenVerifier;
import dev.berth.core.token.JwksKeySet;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Verifies a bearer token of token-service ({@link BearerTokenVerifier} of registry-core, with the
 * {@code catalog.auth.*} settings) and yields who the caller is and what it may see: all when {@code access}
 * grants {@code registry:catalog:*}, else the {@code pullable} globs. Verified tokens are remembered (bounded, until
 * their expiry or a minute) so a page request costs no signature check; verification itself does no blocking I/O.
 */
@ApplicationScoped
public class TokenVerifier {
    private final BearerTokenVerifier verifier;
    private final Cache<String, Verified> verified = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    private record Verified(Caller caller, long expiresAtMillis) {
    }

    public TokenVerifier(CatalogConfig config, Vertx vertx) {
        CatalogConfig.Auth auth = config.auth();
        this.verifier = new BearerTokenVerifier(auth.rules(), new JwksKeySet(vertx, auth.jwksSettings(auth.jwksUrl())),
                "catalog.auth.algorithms");
    }

    /** The caller of a valid token; fails with {@link dev.berth.core.token.InvalidTokenException} otherwise. */
    public Uni<Caller> verify(String token) {
        Verified hit = verified.getIfPresent(token);
        if (hit != null && hit.expiresAtMillis() > System.currentTimeMillis()) {
            return Uni.createFrom().item(hit.caller());
        }
        return Uni.createFrom().completionStage(verifier.verify(token)).map(checked -> {
            Object access = checked.claims().getClaimValue("access");
            Caller caller = seesAll(access) ? new Caller(checked.subject(), null)
                    : Caller.of(checked.subject(), strings(checked.claims().getClaimValue("pullable")));
            verified.put(token, new Verified(caller, checked.expiresAtMillis()));
            return caller;
        });
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
}
