package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Answers {@value #ADDRESS} on the (clustered) event bus: another service (catalog-service, for an image's config
 * labels) asks for a small blob of a repository. Request: a JSON object {@code {"repository": "...", "digest":
 * "sha256:...", "maxBytes": 1048576}} ({@code maxBytes} optional, capped at {@value #MAX_BYTES}); reply: a
 * {@link Buffer} with the blob's bytes. Failures: {@code 400} for a malformed request, {@code 404} when the blob
 * is not linked in that repository (or the repository is unknown), {@code 413} when it is larger than
 * {@code maxBytes}, {@code 500} when storage fails.
 *
 * <p>Every replica registers the consumer, so the bus spreads requests over them. A blob is answered only as the
 * repository sees it, exactly like a pull; the asking service decides who may see what it derives.
 */
@ApplicationScoped
public class BlobReadResponder {
    private static final Logger LOG = Logger.getLogger(BlobReadResponder.class);

    public static final String ADDRESS = "berth.registry.blob.read";
    /** The largest blob answered: replies travel as one bus message, held in memory on both sides. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    private final Vertx vertx;
    private final BlobService blobs;
    private final BlobStore store;
    private MessageConsumer<Object> consumer;

    public BlobReadResponder(Vertx vertx, BlobService blobs, BlobStore store) {
        this.vertx = vertx;
        this.blobs = blobs;
        this.store = store;
    }

    void onStart(@Observes StartupEvent event) {
        consumer = vertx.eventBus().consumer(ADDRESS, this::answer);
    }

    void onStop(@Observes ShutdownEvent event) {
        // the cluster stops sending requests here before the process goes
        if (consumer != null) {
            try {
                Uni.createFrom().completionStage(consumer.unregister().toCompletionStage()).await().atMost(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debugf("blob read responder: unregistering failed: %s", e.toString());
            }
        }
    }

    void answer(Message<Object> message) {
        Request request;
        try {
            request = Request.of(message.body());
        } catch (IllegalArgumentException e) {
            message.fail(400, e.getMessage());
            return;
        }
        blobs.find(request.repository(), request.digest())
                .chain(blob -> {
                    if (blob.size() > request.maxBytes()) {
                        return Uni.createFrom().failure(new TooLarge("blob " + blob.digest() + " is " + blob.size()
                                + " bytes, more than maxBytes " + request.maxBytes()));
                    }
                    return Uni.createFrom().completionStage(read(blob).toCompletionStage());
                })
                .subscribe().with(message::reply, failure -> {
                    if (failure instanceof TooLarge) {
                        message.fail(413, failure.getMessage());
                    } else if (failure instanceof RegistryException e && e.error() == OciError.BLOB_UNKNOWN) {
                        message.fail(404, e.getMessage());
                    } else {
                        LOG.warnf("blob read responder: %s in %s: %s", request.digest(), request.repository(), failure.toString());
                        message.fail(500, "blob " + request.digest() + " could not be read");
                    }
                });
    }

    private Future<Buffer> read(Blob blob) {
        if (blob.size() == 0) {
            return Future.succeededFuture(Buffer.buffer());
        }
        return store.read(new StorageKey(blob.storageKey()), 0, blob.size()).compose(stream -> collect(stream, blob));
    }

    private static Future<Buffer> collect(ReadStream<Buffer> stream, Blob blob) {
        Promise<Buffer> result = Promise.promise();
        Buffer bytes = Buffer.buffer((int) blob.size());
        stream.exceptionHandler(result::tryFail);
        stream.endHandler(v -> {
            if (bytes.length() == blob.size()) {
                result.tryComplete(bytes);
            } else {
                result.tryFail(new IllegalStateException("storage returned " + bytes.length() + " of " + blob.size() + " bytes"));
            }
        });
        stream.handler(chunk -> {
            if (bytes.length() + chunk.length() > blob.size()) {
                stream.handler(null);
                result.tryFail(new IllegalStateException("storage returned more than " + blob.size() + " bytes"));
            } else {
                bytes.appendBuffer(chunk);
            }
        });
        stream.resume();
        return result.future();
    }

    /** A valid request; {@link IllegalArgumentException} with a message for the asker otherwise. */
    record Request(RepositoryName repository, Digest digest, long maxBytes) {
        static Request of(Object body) {
            if (!(body instanceof JsonObject json)) {
                throw new IllegalArgumentException("the request is a JSON object {\"repository\",\"digest\",\"maxBytes\"}");
            }
            // both throw IllegalArgumentExceptions with a message fit for the asker
            RepositoryName repository = new RepositoryName(json.getValue("repository") instanceof String s ? s : null);
            Digest digest = Digest.parse(json.getValue("digest") instanceof String s ? s : null);
            Object max = json.getValue("maxBytes");
            long maxBytes;
            if (max == null) {
                maxBytes = MAX_BYTES;
            } else if (max instanceof Integer || max instanceof Long) {
                maxBytes = ((Number) max).longValue();
                if (maxBytes < 1) {
                    throw new IllegalArgumentException("maxBytes must be positive");
                }
            } else {
                throw new IllegalArgumentException("maxBytes must be an integer");
            }
            return new Request(repository, digest, Math.min(maxBytes, MAX_BYTES));
        }
    }

    private static final class TooLarge extends RuntimeException {
        TooLarge(String message) {
            super(message, null, false, false);
        }
    }
}
