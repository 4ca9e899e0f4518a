package dev.berth.registry.auth;

import dev.berth.registry.route.V2Paths;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.jboss.logging.Logger;

/**
 * Docker token authentication of the /v2 API ({@code registry.auth.enabled=true}). Works out which access a
 * request needs from its path and method, and:
 * <ul>
 * <li>without a (valid) bearer token answers {@code 401 UNAUTHORIZED} with
 * {@code WWW-Authenticate: Bearer realm="…",service="…",scope="…"} ({@code /v2/} without scope);</li>
 * <li>with a valid token that lacks the action answers {@code 403 DENIED};</li>
 * <li>a cross-repository mount whose source the token cannot pull is turned into a plain upload (the mount is
 * dropped, so nothing about the source leaks).</li>
 * </ul>
 */
@ApplicationScoped
public class RequestAuthorizer {
    private static final Logger LOG = Logger.getLogger(RequestAuthorizer.class);

    private final AuthConfig config;
    private final TokenVerifier verifier;
    private final MeterRegistry metrics;

    public RequestAuthorizer(AuthConfig config, TokenVerifier verifier, MeterRegistry metrics) {
        this.config = config;
        this.verifier = verifier;
        this.metrics = metrics;
    }

    public boolean enabled() {
        return config.enabled();
    }

    /** One access a request needs. */
    record Need(String type, String name, String action) {
    }

    /** What a request needs: the accesses, the scope to name in a challenge, and an optional mount source. */
    record Required(List<Need> needs, String scope, String mountFrom) {
    }

    /** Completes when the request may go on; fails with a 401 or 403 {@link RegistryException} otherwise. */
    public Uni<Void> authorize(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Required required;
        try {
            required = required(decode(request.path()), request.method(), request);
        } catch (RuntimeException e) {
            required = new Required(List.of(), null, null);
        }
        Required need = required;
        String authorization = request.getHeader("Authorization");
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().failure(unauthorized(ctx, need, null, "authentication required"));
        }
        String token = authorization.substring(7).trim();
        return verifier.verify(token)
                .onFailure(TokenVerifier.InvalidToken.class).transform(e -> {
                    LOG.debugf("%s %s: token refused: %s", request.method(), request.path(), e.getMessage());
                    metrics.counter("berth.registry.auth.refused", "reason", "invalid_token").increment();
                    return unauthorized(ctx, need, "invalid_token", "the token is invalid or expired");
                })
                .map(verified -> {
                    for (Need n : need.needs()) {
                        if (!verified.allows(n.type(), n.name(), n.action())) {
                            metrics.counter("berth.registry.auth.refused", "reason", "insufficient_scope").increment();
                            challenge(ctx, need, "insufficient_scope");
                            throw new RegistryException(OciError.DENIED, "requested access to the resource is denied",
                                    java.util.Map.of("Type", n.type(), "Name", n.name(), "Action", n.action()));
                        }
                    }
                    if (need.mountFrom() != null && !verified.allows("repository", need.mountFrom(), "pull")) {
                        // not readable: start a normal upload instead of mounting; the response says nothing of the source
                        request.params().remove("mount");
                        request.params().remove("from");
                        LOG.debugf("mount from %s dropped: %s may not pull it", need.mountFrom(), verified.subject());
                    }
                    return null;
                });
    }

    Required required(String path, HttpMethod method, HttpServerRequest request) {
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new Required(List.of(), null, null);
        }
        if (path.equals("/v2/_catalog")) {
            return new Required(List.of(new Need("registry", "catalog", "*")), "registry:catalog:*", null);
        }
        Matcher m = V2Paths.UPLOAD.matcher(path);
        if (m.matches()) {
            String name = m.group(1);
            List<Need> needs = new ArrayList<>(List.of(new Need("repository", name, "pull"), new Need("repository", name, "push")));
            String scope = repositoryScope(name, "pull,push");
            String from = null;
            if (method == HttpMethod.POST && request.getParam("mount") != null) {
                from = request.getParam("from");
                if (from == null || from.isEmpty()) {
                    // a mount from "anywhere" cannot be checked: it becomes a plain upload
                    request.params().remove("mount");
                } else {
                    scope = scope + " " + repositoryScope(from, "pull");
                }
            }
            return new Required(needs, scope, from == null || from.isEmpty() ? null : from);
        }
        m = V2Paths.BLOB.matcher(path);
        if (m.matches()) {
            return single(m.group(1), method == HttpMethod.DELETE ? "delete" : "pull");
        }
        m = V2Paths.MANIFEST.matcher(path);
        if (m.matches()) {
            String name = m.group(1);
            if (method == HttpMethod.PUT) {
                return new Required(List.of(new Need("repository", name, "pull"), new Need("repository", name, "push")),
                        repositoryScope(name, "pull,push"), null);
            }
            return single(name, method == HttpMethod.DELETE ? "delete" : "pull");
        }
        m = V2Paths.TAGS.matcher(path);
        if (m.matches()) {
            return single(m.group(1), "pull");
        }
        m = V2Paths.REFERRERS.matcher(path);
        if (m.matches()) {
            return single(m.group(1), "pull");
        }
        // unknown endpoints: a valid token is enough to be told they do not exist
        return new Required(List.of(), null, null);
    }

    private static Required single(String name, String action) {
        return new Required(List.of(new Need("repository", name, action)), repositoryScope(name, action), null);
    }

    private static String repositoryScope(String name, String actions) {
        return "repository:" + name + ":" + actions;
    }

    private RegistryException unauthorized(RoutingContext ctx, Required need, String error, String message) {
        challenge(ctx, need, error);
        return new RegistryException(OciError.UNAUTHORIZED, message);
    }

    private void challenge(RoutingContext ctx, Required need, String error) {
        StringBuilder value = new StringBuilder("Bearer realm=\"").append(quote(config.realm()))
                .append("\",service=\"").append(quote(config.service())).append('"');
        if (need.scope() != null) {
            value.append(",scope=\"").append(quote(need.scope())).append('"');
        }
        if (error != null) {
            value.append(",error=\"").append(error).append('"');
        }
        ctx.response().putHeader("WWW-Authenticate", value.toString());
    }

    private static String quote(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** %XX escapes decoded (as the router does); a malformed escape is left as is. */
    static String decode(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && Character.digit(path.charAt(i + 1), 16) >= 0
                    && Character.digit(path.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(path.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
