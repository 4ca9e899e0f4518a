package dev.berth.registry.auth;

import dev.berth.core.scope.Scope;
import dev.berth.core.token.InvalidTokenException;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.Caller;
import dev.berth.registry.route.Endpoint;
import dev.berth.registry.route.RequestGuard;
import dev.berth.registry.route.Route;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Docker token authentication of the /v2 API ({@code registry.auth.enabled=true}). Takes the access a request
 * needs from its {@link Route} (the router's one match), and:
 * <ul>
 * <li>without a (valid) bearer token answers {@code 401 UNAUTHORIZED} with
 * {@code WWW-Authenticate: Bearer realm="…",service="…",scope="…"} ({@code /v2/} without scope);</li>
 * <li>with a valid token that lacks the action answers {@code 403 DENIED};</li>
 * <li>a cross-repository mount whose source the token cannot pull is turned into a plain upload (the mount is
 * dropped, so nothing about the source leaks).</li>
 * </ul>
 */
@ApplicationScoped
public class RequestAuthorizer implements RequestGuard {
    private static final Logger LOG = Logger.getLogger(RequestAuthorizer.class);

    private final AuthConfig config;
    private final TokenVerifier verifier;
    private final MeterRegistry metrics;

    public RequestAuthorizer(AuthConfig config, TokenVerifier verifier, MeterRegistry metrics) {
        this.config = config;
        this.verifier = verifier;
        this.metrics = metrics;
    }

    @Override
    public boolean enabled() {
        return config.enabled();
    }

    /** What a request needs: the scope it must be granted (null: any valid token), and an optional mount source. */
    record Required(Scope scope, String mountFrom) {
        /** The scope value of a challenge, naming the mount source too. */
        String challengeScope() {
            if (scope == null) {
                return null;
            }
            return mountFrom == null ? scope.toString() : Scope.format(List.of(scope, Scope.repository(mountFrom, Scope.PULL)));
        }
    }

    @Override
    public Uni<Void> check(RoutingContext ctx, Route route) {
        HttpServerRequest request = ctx.request();
        Required need = required(route, request.method(), request);
        String authorization = request.getHeader("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().failure(unauthorized(ctx, need, null, "authentication required"));
        }
        String token = authorization.substring(7).trim();
        return verifier.verify(token)
                .onFailure(InvalidTokenException.class).transform(e -> {
                    LOG.debugf("%s %s: token refused: %s", request.method(), request.path(), e.getMessage());
                    metrics.counter("berth.registry.auth.refused", "reason", "invalid_token").increment();
                    return unauthorized(ctx, need, "invalid_token", "the token is invalid or expired");
                })
                .map(verified -> {
                    Scope scope = need.scope();
                    if (scope != null) {
                        // every missing action is reported, not the first one checked (a push denied for want of
                        // push must not say "pull")
                        List<String> missing = new ArrayList<>();
                        for (String action : scope.actions()) {
                            if (!verified.allows(scope.type(), scope.name(), action)) {
                                missing.add(action);
                            }
                        }
                        if (!missing.isEmpty()) {
                            metrics.counter("berth.registry.auth.refused", "reason", "insufficient_scope").increment();
                            challenge(ctx, need, "insufficient_scope");
                            throw new RegistryException(OciError.DENIED, "requested access to the resource is denied",
                                    Map.of("Type", scope.type(), "Name", scope.name(), "Action", String.join(",", missing)));
                        }
                    }
                    // the actor of the events this request writes
                    Caller.identify(ctx, verified.subject());
                    if (need.mountFrom() != null && !verified.allows(Scope.REPOSITORY, need.mountFrom(), Scope.PULL)) {
                        // not readable: start a normal upload instead of mounting; the response says nothing of the source
                        request.params().remove("mount");
                        request.params().remove("from");
                        LOG.debugf("mount from %s dropped: %s may not pull it", need.mountFrom(), verified.subject());
                    }
                    return null;
                });
    }

    Required required(Route route, HttpMethod method, HttpServerRequest request) {
        String from = null;
        if (route.endpoint() == Endpoint.UPLOAD_START && method == HttpMethod.POST && request.getParam("mount") != null) {
            from = request.getParam("from");
            if (from == null || from.isEmpty()) {
                // a mount from "anywhere" cannot be checked: it becomes a plain upload
                request.params().remove("mount");
                from = null;
            }
        }
        return new Required(route.scope(method), from);
    }

    private RegistryException unauthorized(RoutingContext ctx, Required need, String error, String message) {
        challenge(ctx, need, error);
        return new RegistryException(OciError.UNAUTHORIZED, message);
    }

    private void challenge(RoutingContext ctx, Required need, String error) {
        StringBuilder value = new StringBuilder("Bearer realm=\"").append(quote(config.realm()))
                .append("\",service=\"").append(quote(config.service())).append('"');
        String scope = need.challengeScope();
        if (scope != null) {
            value.append(",scope=\"").append(quote(scope)).append('"');
        }
        if (error != null) {
            value.append(",error=\"").append(error).append('"');
        }
        ctx.response().putHeader("WWW-Authenticate", value.toString());
    }

    private static String quote(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
