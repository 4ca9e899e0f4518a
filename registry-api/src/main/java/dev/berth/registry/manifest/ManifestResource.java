package dev.berth.registry.manifest;

import dev.berth.core.media.MediaTypes;
import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.Caller;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;

/** {@code GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>}. */
@ApplicationScoped
public class ManifestResource {
    private final ManifestStore manifests;
    private final RegistryConfig config;

    public ManifestResource(ManifestStore manifests, RegistryConfig config) {
        this.manifests = manifests;
        this.config = config;
    }

    public Uni<Void> get(RoutingContext ctx, RepositoryName name, Reference reference, boolean head) {
        return manifests.get(name, reference).chain(m -> {
            if (!acceptable(ctx.request().headers().getAll("Accept"), m.mediaType())) {
                throw new RegistryException(OciError.MANIFEST_UNKNOWN, "manifest " + reference + " is a "
                        + m.mediaType() + ", which the Accept header of this request does not allow");
            }
            HttpServerResponse response = ctx.response();
            response.putHeader("Content-Type", m.mediaType())
                    .putHeader("Docker-Content-Digest", m.digest())
                    .putHeader("ETag", "\"" + m.digest() + "\"")
                    .putHeader("Content-Length", String.valueOf(m.size()));
            return Responses.uni(head ? response.end() : response.end(Buffer.buffer(m.payload())));
        });
    }

    public Uni<Void> put(RoutingContext ctx, RepositoryName name, Reference reference) {
        int limit = config.manifests().maxSize();
        long announced = Responses.contentLength(ctx.request());
        if (announced > limit) {
            throw tooLarge(limit);
        }
        String contentType = ctx.request().getHeader("Content-Type");
        return Responses.readLimited(ctx.request(), limit)
                .onFailure(Responses.BodyTooLarge.class).transform(e -> tooLarge(limit))
                .chain(body -> manifests.put(name, reference, contentType, body.getBytes(), Caller.subject(ctx)))
                .chain(pushed -> {
                    HttpServerResponse response = ctx.response();
                    response.setStatusCode(201)
                            .putHeader("Location", "/v2/" + name + "/manifests/" + pushed.digest())
                            .putHeader("Docker-Content-Digest", pushed.digest().toString())
                            .putHeader("Content-Length", "0");
                    if (pushed.subject() != null) {
                        response.putHeader("OCI-Subject", pushed.subject());
                    }
                    return Responses.uni(response.end());
                });
    }

    public Uni<Void> delete(RoutingContext ctx, RepositoryName name, Reference reference) {
        return manifests.delete(name, reference, Caller.subject(ctx)).chain(() -> {
            ctx.response().setStatusCode(202).putHeader("Content-Length", "0");
            return Responses.uni(ctx.response().end());
        });
    }

    private static RegistryException tooLarge(int limit) {
        return new RegistryException(OciError.MANIFEST_INVALID, 413,
                "manifest is larger than the limit of " + limit + " bytes");
    }

    /**
     * Content negotiation: an Accept header that names manifest types but neither this one nor a
     * wildcard refuses it (as distribution does for clients that cannot read OCI or index types).
     */
    static boolean acceptable(List<String> acceptHeaders, String mediaType) {
        boolean namesManifestTypes = false;
        for (String header : acceptHeaders) {
            for (String part : header.split(",")) {
                String type = MediaTypes.base(part);
                if (type == null) {
                    continue;
                }
                type = type.toLowerCase(Locale.ROOT);
                if (type.equals(mediaType) || type.equals("*/*") || type.equals("application/*")) {
                    return true;
                }
                if (MediaTypes.MANIFEST_TYPES.contains(type)) {
                    namesManifestTypes = true;
                }
            }
        }
        return !namesManifestTypes;
    }
}
