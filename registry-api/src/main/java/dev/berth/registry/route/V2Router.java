package dev.berth.registry.route;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.blob.BlobResource;
import dev.berth.registry.error.ErrorResponder;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.manifest.ManifestResource;
import dev.berth.registry.referrer.ReferrerResource;
import dev.berth.registry.repository.CatalogResource;
import dev.berth.registry.tag.TagResource;
import dev.berth.registry.upload.UploadResource;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.function.Supplier;
import java.util.regex.Matcher;

/**
 * The {@code /v2/} API on plain Vert.x routes, so that blob bodies stream straight between the socket
 * and storage without being buffered. Paths are matched from the right because repository names may
 * contain slashes; each feature's resource does the work.
 */
@ApplicationScoped
public class V2Router {

    private final BlobResource blobs;
    private final UploadResource uploads;
    private final ManifestResource manifests;
    private final TagResource tags;
    private final ReferrerResource referrers;
    private final CatalogResource catalog;
    private final ErrorResponder errors;
    /** Docker token authentication; a no-op unless registry.auth.enabled=true. */
    @jakarta.inject.Inject
    dev.berth.registry.auth.RequestAuthorizer authorizer;

    public V2Router(BlobResource blobs, UploadResource uploads, ManifestResource manifests, TagResource tags,
            ReferrerResource referrers, CatalogResource catalog, ErrorResponder errors) {
        this.blobs = blobs;
        this.uploads = uploads;
        this.manifests = manifests;
        this.tags = tags;
        this.referrers = referrers;
        this.catalog = catalog;
        this.errors = errors;
    }

    void register(@Observes Router router) {
        router.route("/v2").handler(this::handle);
        router.route("/v2/*").handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        // bodies are consumed by the handler that needs them, never buffered up front
        ctx.request().pause();
        ctx.response().putHeader("Docker-Distribution-API-Version", "registry/2.0");
        Context context = Vertx.currentContext();
        if (context != null && VertxContext.isDuplicatedContext(context)) {
            VertxContextSafetyToggle.setContextSafe(context, true);
            run(ctx);
        } else {
            Context duplicate = VertxContext.createNewDuplicatedContext(context);
            VertxContextSafetyToggle.setContextSafe(duplicate, true);
            duplicate.runOnContext(v -> run(ctx));
        }
    }

    private void run(RoutingContext ctx) {
        Uni<Void> work;
        try {
            work = authorizer.enabled() ? authorizer.authorize(ctx).chain(() -> dispatch(ctx)) : dispatch(ctx);
        } catch (RuntimeException e) {
            work = Uni.createFrom().failure(e);
        }
        work.subscribe().with(done -> {
        }, failure -> errors.respond(ctx, failure));
    }

    private Uni<Void> dispatch(RoutingContext ctx) {
        String path = percentDecode(ctx.request().path());
        HttpMethod method = ctx.request().method();
        boolean head = method == HttpMethod.HEAD;
        if (path.equals("/v2") || path.equals("/v2/")) {
            return on(method, HttpMethod.GET, HttpMethod.HEAD, () -> {
                ctx.response().putHeader("Content-Type", "application/json").putHeader("Content-Length", "2");
                return Responses.uni(head ? ctx.response().end() : ctx.response().end("{}"));
            });
        }
        if (path.equals("/v2/_catalog")) {
            return on(method, HttpMethod.GET, HttpMethod.GET, () -> catalog.list(ctx));
        }
        Matcher m = V2Paths.UPLOAD.matcher(path);
        if (m.matches()) {
            RepositoryName name = new RepositoryName(m.group(1));
            String id = m.group(2);
            if (id.isEmpty()) {
                return on(method, HttpMethod.POST, HttpMethod.POST, () -> uploads.post(ctx, name));
            }
            return switch (method.name()) {
                case "PATCH" -> uploads.patch(ctx, name, id);
                case "PUT" -> uploads.put(ctx, name, id);
                case "GET" -> uploads.status(ctx, name, id);
                case "DELETE" -> uploads.cancel(ctx, name, id);
                default -> unsupported(method, path);
            };
        }
        m = V2Paths.BLOB.matcher(path);
        if (m.matches()) {
            RepositoryName name = new RepositoryName(m.group(1));
            Digest digest = Digest.parse(m.group(2));
            return switch (method.name()) {
                case "GET", "HEAD" -> blobs.get(ctx, name, digest, head);
                case "DELETE" -> blobs.delete(ctx, name, digest);
                default -> unsupported(method, path);
            };
        }
        m = V2Paths.MANIFEST.matcher(path);
        if (m.matches()) {
            RepositoryName name = new RepositoryName(m.group(1));
            Reference reference = Reference.parse(m.group(2));
            return switch (method.name()) {
                case "GET", "HEAD" -> manifests.get(ctx, name, reference, head);
                case "PUT" -> manifests.put(ctx, name, reference);
                case "DELETE" -> manifests.delete(ctx, name, reference);
                default -> unsupported(method, path);
            };
        }
        m = V2Paths.TAGS.matcher(path);
        if (m.matches()) {
            RepositoryName name = new RepositoryName(m.group(1));
            return on(method, HttpMethod.GET, HttpMethod.HEAD, () -> tags.list(ctx, name, head));
        }
        m = V2Paths.REFERRERS.matcher(path);
        if (m.matches()) {
            RepositoryName name = new RepositoryName(m.group(1));
            Digest digest = Digest.parse(m.group(2));
            return on(method, HttpMethod.GET, HttpMethod.GET, () -> referrers.list(ctx, name, digest));
        }
        throw new RegistryException(OciError.NAME_UNKNOWN, 404, "no such endpoint: " + path);
    }

    /** Decodes %XX escapes (clients escape the colon of a digest); a malformed escape is left as is. */
    static String percentDecode(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && Character.digit(path.charAt(i + 1), 16) >= 0
                    && Character.digit(path.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(path.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Uni<Void> on(HttpMethod actual, HttpMethod allowed, HttpMethod alsoAllowed, Supplier<Uni<Void>> call) {
        if (actual != allowed && actual != alsoAllowed) {
            return unsupported(actual, null);
        }
        return call.get();
    }

    private static Uni<Void> unsupported(HttpMethod method, String path) {
        return Uni.createFrom().failure(new RegistryException(OciError.UNSUPPORTED,
                "method " + method + " is not supported here"));
    }
}
