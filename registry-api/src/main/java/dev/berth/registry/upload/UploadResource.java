package dev.berth.registry.upload;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.Caller;
import dev.berth.registry.http.RequestBody;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.UUID;

/** {@code /v2/<name>/blobs/uploads/[<uuid>]}: sessions, chunks, commit, status, cancel, mounts. */
@ApplicationScoped
public class UploadResource {
    private final UploadService uploads;

    public UploadResource(UploadService uploads) {
        this.uploads = uploads;
    }

    /** {@code POST}: a mount, a monolithic upload ({@code ?digest=}), or a new session. */
    public Uni<Void> post(RoutingContext ctx, RepositoryName name) {
        HttpServerRequest request = ctx.request();
        String mount = request.getParam("mount");
        if (mount != null) {
            Digest digest = Digest.parse(mount);
            String fromParam = request.getParam("from");
            RepositoryName from = fromParam == null || fromParam.isEmpty() ? null : new RepositoryName(fromParam);
            return uploads.mount(name, digest, from, Caller.subject(ctx)).chain(mounted -> mounted
                    ? created(ctx, name, digest)
                    : startSession(ctx, name));
        }
        String digestParam = request.getParam("digest");
        if (digestParam != null) {
            Digest digest = Digest.parse(digestParam);
            RequestBody stream = RequestBody.of(ctx);
            UploadService.Chunk body = new UploadService.Chunk(stream, Responses.contentLength(request), null);
            String actor = Caller.subject(ctx);
            return uploads.start(name, digest.algorithm() == dev.berth.core.digest.DigestAlgorithm.SHA512, actor)
                    .chain(session -> uploads.finish(name, session.id, digest, body, client(ctx, stream), actor))
                    .chain(d -> created(ctx, name, d));
        }
        return startSession(ctx, name);
    }

    public Uni<Void> patch(RoutingContext ctx, RepositoryName name, String uploadId) {
        UUID id = parseId(uploadId);
        HttpServerRequest request = ctx.request();
        RequestBody body = RequestBody.of(ctx);
        UploadService.Chunk chunk = new UploadService.Chunk(body, Responses.contentLength(request),
                UploadService.ChunkRange.parse(request.getHeader("Content-Range")));
        return uploads.append(name, id, chunk, client(ctx, body)).chain(session -> accepted(ctx, name, session, 202));
    }

    /** {@code PUT ?digest=}: commit, with or without a last chunk. */
    public Uni<Void> put(RoutingContext ctx, RepositoryName name, String uploadId) {
        UUID id = parseId(uploadId);
        HttpServerRequest request = ctx.request();
        String digestParam = request.getParam("digest");
        if (digestParam == null) {
            throw new RegistryException(OciError.DIGEST_INVALID, "the digest query parameter is required to finish an upload");
        }
        Digest digest = Digest.parse(digestParam);
        RequestBody body = Responses.hasBody(request) ? RequestBody.of(ctx) : null;
        UploadService.Chunk last = body != null
                ? new UploadService.Chunk(body, Responses.contentLength(request),
                        UploadService.ChunkRange.parse(request.getHeader("Content-Range")))
                : null;
        return uploads.finish(name, id, digest, last, client(ctx, body), Caller.subject(ctx))
                .chain(d -> created(ctx, name, d));
    }

    public Uni<Void> status(RoutingContext ctx, RepositoryName name, String uploadId) {
        UUID id = parseId(uploadId);
        return uploads.status(name, id).chain(session -> accepted(ctx, name, session, 204));
    }

    public Uni<Void> cancel(RoutingContext ctx, RepositoryName name, String uploadId) {
        UUID id = parseId(uploadId);
        return uploads.cancel(name, id).chain(() -> {
            ctx.response().setStatusCode(204);
            return Responses.uni(ctx.response().end());
        });
    }

    /** The request's client as the upload sees it: gone once its body failed or its connection closed. */
    private static UploadService.Client client(RoutingContext ctx, RequestBody body) {
        return () -> {
            Throwable failed = body == null ? null : body.failure();
            if (failed != null) {
                return failed;
            }
            return ctx.response().closed() ? new IOException("the client closed the connection") : null;
        };
    }

    private Uni<Void> startSession(RoutingContext ctx, RepositoryName name) {
        return uploads.start(name, Caller.subject(ctx)).chain(session -> accepted(ctx, name, session, 202));
    }

    private static Uni<Void> accepted(RoutingContext ctx, RepositoryName name, UploadSession session, int status) {
        HttpServerResponse response = ctx.response();
        response.setStatusCode(status)
                .putHeader("Location", "/v2/" + name + "/blobs/uploads/" + session.id)
                .putHeader("Docker-Upload-UUID", session.id.toString())
                // the spec's Range is inclusive; an empty upload reports 0-0 as distribution does
                .putHeader("Range", "0-" + Math.max(0, session.committedSize - 1))
                .putHeader("Content-Length", "0");
        return Responses.uni(response.end());
    }

    private static Uni<Void> created(RoutingContext ctx, RepositoryName name, Digest digest) {
        HttpServerResponse response = ctx.response();
        response.setStatusCode(201)
                .putHeader("Location", "/v2/" + name + "/blobs/" + digest)
                .putHeader("Docker-Content-Digest", digest.toString())
                .putHeader("Content-Length", "0");
        return Responses.uni(response.end());
    }

    private static UUID parseId(String uploadId) {
        try {
            return UUID.fromString(uploadId);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(OciError.BLOB_UPLOAD_UNKNOWN, "upload " + uploadId + " is unknown");
        }
    }
}
