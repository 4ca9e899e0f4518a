package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.registry.route.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Optional;

/** {@code GET/HEAD/DELETE /v2/<name>/blobs/<digest>}: streamed from storage, with single-range support. */
@ApplicationScoped
public class BlobResource {
    private final BlobService blobs;
    private final BlobStore store;

    public BlobResource(BlobService blobs, BlobStore store) {
        this.blobs = blobs;
        this.store = store;
    }

    public Uni<Void> get(RoutingContext ctx, RepositoryName name, Digest digest, boolean head) {
        return blobs.find(name, digest).chain(blob -> serve(ctx, blob, head));
    }

    private Uni<Void> serve(RoutingContext ctx, Blob blob, boolean head) {
        HttpServerResponse response = ctx.response();
        response.putHeader("Docker-Content-Digest", blob.digest)
                .putHeader("ETag", "\"" + blob.digest + "\"")
                .putHeader("Accept-Ranges", "bytes")
                .putHeader("Cache-Control", "max-age=31536000")
                .putHeader("Content-Type", "application/octet-stream");
        ByteRange range;
        try {
            range = head ? null : ByteRange.parse(ctx.request().getHeader("Range"), blob.size);
        } catch (ByteRange.Unsatisfiable e) {
            response.setStatusCode(416).putHeader("Content-Range", "bytes */" + blob.size)
                    .putHeader("Content-Length", "0");
            return Responses.uni(response.end());
        }
        long offset = range == null ? 0 : range.start();
        long length = range == null ? blob.size : range.length();
        if (range != null) {
            response.setStatusCode(206)
                    .putHeader("Content-Range", "bytes " + range.start() + "-" + range.end() + "/" + blob.size);
        }
        response.putHeader("Content-Length", String.valueOf(length));
        if (head || length == 0) {
            return Responses.uni(response.end());
        }
        StorageKey key = new StorageKey(blob.storageKey);
        Optional<Path> file = store.localFile(key);
        if (file.isPresent()) {
            // zero-copy: the kernel moves the bytes from the file to the socket
            return Responses.uni(response.sendFile(file.get().toString(), offset, length));
        }
        return Responses.uni(store.read(key, offset, length)).chain(stream -> Responses.uni(stream.pipeTo(response)));
    }

    public Uni<Void> delete(RoutingContext ctx, RepositoryName name, Digest digest) {
        return blobs.unlink(name, digest).chain(() -> {
            ctx.response().setStatusCode(202).putHeader("Content-Length", "0");
            return Responses.uni(ctx.response().end());
        });
    }
}
