package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.http.Caller;
import dev.berth.registry.http.FlushedBodyPipe;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code GET/HEAD/DELETE /v2/<name>/blobs/<digest>}: streamed from storage, with single-range support, or
 * (with {@code registry.storage.redirect=true} and a driver that has them) a {@code 307} to a pre-signed
 * storage URL for whole-blob {@code GET}s.
 */
@ApplicationScoped
public class BlobResource {
    private final BlobService blobs;
    private final BlobStore store;
    private final boolean redirect;

    public BlobResource(BlobService blobs, BlobStore store, RegistryConfig config) {
        this.blobs = blobs;
        this.store = store;
        this.redirect = config.storage().redirect();
    }

    public Uni<Void> get(RoutingContext ctx, RepositoryName name, Digest digest, boolean head) {
        // a HEAD may let the client skip the upload: it counts as a use of the blob (garbage collection)
        return (head ? blobs.check(name, digest) : blobs.find(name, digest)).chain(blob -> serve(ctx, blob, head));
    }

    private Uni<Void> serve(RoutingContext ctx, Blob blob, boolean head) {
        HttpServerResponse response = ctx.response();
        if (redirect && !head && blob.size() > 0 && ctx.request().getHeader("Range") == null) {
            // never for Range requests: those are answered here, so the client gets exactly its range
            Optional<URI> url = store.redirectUrl(new StorageKey(blob.storageKey()));
            if (url.isPresent()) {
                response.setStatusCode(307)
                        .putHeader("Location", url.get().toString())
                        .putHeader("Docker-Content-Digest", blob.digest())
                        .putHeader("Content-Length", "0");
                return Responses.uni(response.end());
            }
        }
        response.putHeader("Docker-Content-Digest", blob.digest())
                .putHeader("ETag", "\"" + blob.digest() + "\"")
                .putHeader("Accept-Ranges", "bytes")
                .putHeader("Cache-Control", "max-age=31536000")
                .putHeader("Content-Type", "application/octet-stream");
        ByteRange range;
        try {
            range = head ? null : ByteRange.parse(ctx.request().getHeader("Range"), blob.size());
        } catch (ByteRange.Unsatisfiable e) {
            response.setStatusCode(416).putHeader("Content-Range", "bytes */" + blob.size())
                    .putHeader("Content-Length", "0");
            return Responses.uni(response.end());
        }
        long offset = range == null ? 0 : range.start();
        long length = range == null ? blob.size() : range.length();
        if (range != null) {
            response.setStatusCode(206)
                    .putHeader("Content-Range", "bytes " + range.start() + "-" + range.end() + "/" + blob.size());
        }
        response.putHeader("Content-Length", String.valueOf(length));
        if (head || length == 0) {
            return Responses.uni(response.end());
        }
        StorageKey key = new StorageKey(blob.storageKey());
        Optional<Path> file = store.localFile(key);
        if (file.isPresent()) {
            // zero-copy: the kernel moves the bytes from the file to the socket
            return Responses.uni(response.sendFile(file.get().toString(), offset, length));
        }
        // ended only once the last byte is in the socket: see FlushedBodyPipe (a pull across a SIGTERM)
        return Responses.uni(store.read(key, offset, length))
                .chain(stream -> Responses.uni(FlushedBodyPipe.pipe(stream, response)));
    }

    public Uni<Void> delete(RoutingContext ctx, RepositoryName name, Digest digest) {
        return blobs.unlink(name, digest, Caller.subject(ctx)).chain(() -> {
            ctx.response().setStatusCode(202).putHeader("Content-Length", "0");
            return Responses.uni(ctx.response().end());
        });
    }
}
