package dev.berth.registry.route;

import dev.berth.core.digest.Digest;
import dev.berth.core.digest.InvalidDigestException;
import dev.berth.core.name.InvalidNameException;
import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.blob.BlobResource;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.ErrorResponder;
import dev.berth.registry.http.Responses;
import dev.berth.registry.manifest.ManifestResource;
import dev.berth.registry.referrer.ReferrerResource;
import dev.berth.registry.repository.CatalogResource;
import dev.berth.registry.repository.RepositoryResource;
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

/**
 * The {@code /v2/} API (and registry-api's {@code /api/v1/repositories/} administration) on plain Vert.x routes,
 * so that blob bodies stream straight between the socket
 * and storage without being buffered. Each request is matched once into a {@link Route}, checked by the
 * {@link RequestGuard} and handed to its feature's resource.
 */
@ApplicationScoped
public class V2Router {

    private final BlobResource blobs;
    private final UploadResource uploads;
    private final ManifestResource manifests;
    private final TagResource tags;
    private final ReferrerResource referrers;
    private final CatalogResource catalog;
    private final RepositoryResource repositories;
    private final ErrorResponder errors;
    /** Docker token authentication (auth.RequestAuthorizer); checks nothing unless registry.auth.enabled=true. */
    private final RequestGuard guard;

    public V2Router(BlobResource blobs, UploadResource uploads, ManifestResource manifests, TagResource tags,
            ReferrerResource referrers, CatalogResource catalog, RepositoryResource repositories, ErrorResponder errors,
            RequestGuard guard) {
        this.repositories = repositories;
        this.guard = guard;
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
        router.route("/api/v1/repositories/*").handler(this::handle);
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
            // matched once: the guard checks and the handler serves the same route
            Route route = Route.match(ctx.request().path());
            work = guard.enabled() ? guard.check(ctx, route).chain(() -> dispatch(ctx, route)) : dispatch(ctx, route);
        } catch (RuntimeException e) {
            work = Uni.createFrom().failure(e);
        }
        work.subscribe().with(done -> {
        }, failure -> errors.respond(ctx, failure));
    }

    private Uni<Void> dispatch(RoutingContext ctx, Route route) {
        HttpMethod method = ctx.request().method();
        boolean head = method == HttpMethod.HEAD;
        return switch (route.endpoint()) {
            case BASE -> on(method, HttpMethod.GET, HttpMethod.HEAD, () -> {
                ctx.response().putHeader("Content-Type", "application/json").putHeader("Content-Length", "2");
                return Responses.uni(head ? ctx.response().end() : ctx.response().end("{}"));
            });
            case CATALOG -> on(method, HttpMethod.GET, HttpMethod.GET, () -> catalog.list(ctx));
            case UPLOAD_START -> on(method, HttpMethod.POST, HttpMethod.POST,
                    () -> uploads.post(ctx, new RepositoryName(route.name())));
            case UPLOAD -> {
                RepositoryName name = new RepositoryName(route.name());
                String id = route.reference();
                yield switch (method.name()) {
                    case "PATCH" -> uploads.patch(ctx, name, id);
                    case "PUT" -> uploads.put(ctx, name, id);
                    case "GET" -> uploads.status(ctx, name, id);
                    case "DELETE" -> uploads.cancel(ctx, name, id);
                    default -> unsupported(method);
                };
            }
            case BLOB -> {
                RepositoryName name = new RepositoryName(route.name());
                Digest digest = Digest.parse(route.reference());
                yield switch (method.name()) {
                    case "GET", "HEAD" -> blobs.get(ctx, name, digest, head);
                    case "DELETE" -> blobs.delete(ctx, name, digest);
                    default -> unsupported(method);
                };
            }
            case MANIFEST -> manifest(ctx, route, method);
            case TAGS -> on(method, HttpMethod.GET, HttpMethod.HEAD,
                    () -> tags.list(ctx, new RepositoryName(route.name()), head));
            case REFERRERS -> {
                RepositoryName name = new RepositoryName(route.name());
                Digest digest = Digest.parse(route.reference());
                yield on(method, HttpMethod.GET, HttpMethod.GET, () -> referrers.list(ctx, name, digest));
            }
            case REPOSITORY -> on(method, HttpMethod.DELETE, HttpMethod.DELETE,
                    () -> repositories.delete(ctx, new RepositoryName(route.name())));
            case UNKNOWN -> throw new RegistryException(OciError.NAME_UNKNOWN, 404, "no such endpoint: " + route.path());
        };
    }

    private Uni<Void> manifest(RoutingContext ctx, Route route, HttpMethod method) {
        boolean head = method == HttpMethod.HEAD;
        RepositoryName name = new RepositoryName(route.name());
        Reference reference;
        try {
            reference = Reference.parse(route.reference());
        } catch (InvalidNameException | InvalidDigestException e) {
            // neither a tag nor a digest: no manifest is known by it (404, as distribution answers and the OCI
            // conformance suite expects); a PUT names a tag it cannot create (400 TAG_INVALID, or DIGEST_INVALID
            // for a malformed digest), and DELETE keeps its 400 with the reason
            if (head || method == HttpMethod.GET) {
                throw new RegistryException(OciError.MANIFEST_UNKNOWN,
                        "manifest unknown: '" + abbreviate(route.reference()) + "' is neither a valid tag nor a digest");
            }
            if (method == HttpMethod.PUT && e instanceof InvalidNameException) {
                throw new RegistryException(OciError.TAG_INVALID, e.getMessage());
            }
            throw e;
        }
        return switch (method.name()) {
            case "GET", "HEAD" -> manifests.get(ctx, name, reference, head);
            case "PUT" -> manifests.put(ctx, name, reference);
            case "DELETE" -> manifests.delete(ctx, name, reference);
            default -> unsupported(method);
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static Uni<Void> on(HttpMethod actual, HttpMethod allowed, HttpMethod alsoAllowed, Supplier<Uni<Void>> call) {
        if (actual != allowed && actual != alsoAllowed) {
            return unsupported(actual);
        }
        return call.get();
    }

    private static Uni<Void> unsupported(HttpMethod method) {
        return Uni.createFrom().failure(new RegistryException(OciError.UNSUPPORTED,
                "method " + method + " is not supported here"));
    }
}
