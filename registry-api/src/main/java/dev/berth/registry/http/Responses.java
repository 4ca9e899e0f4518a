package dev.berth.registry.http;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/** Small bridges between Vert.x and Mutiny, and request-body helpers for the /v2 handlers. */
public final class Responses {
    private Responses() {
    }

    public static <T> Uni<T> uni(Future<T> future) {
        return Uni.createFrom().completionStage(future::toCompletionStage);
    }

    /** The {@code Content-Length} header, or -1 when absent (chunked transfer). */
    public static long contentLength(HttpServerRequest request) {
        String value = request.getHeader("Content-Length");
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether the request carries a body (a positive length, or chunked transfer). */
    public static boolean hasBody(HttpServerRequest request) {
        long length = contentLength(request);
        return length > 0 || length < 0 && "chunked".equalsIgnoreCase(request.getHeader("Transfer-Encoding"));
    }

    /** Reads a whole (small) body, failing with {@link BodyTooLarge} past {@code limit} bytes. */
    public static Uni<Buffer> readLimited(HttpServerRequest request, int limit) {
        return Uni.createFrom().emitter(emitter -> {
            Buffer body = Buffer.buffer();
            boolean[] done = {false};
            request.exceptionHandler(err -> {
                if (!done[0]) {
                    done[0] = true;
                    emitter.fail(err);
                }
            });
            request.handler(chunk -> {
                if (done[0]) {
                    return;
                }
                if (body.length() + chunk.length() > limit) {
                    done[0] = true;
                    // keep reading (and dropping) the rest: without a handler Vert.x stops reading the socket,
                    // and a client still sending the body never gets to read the 413
                    emitter.fail(new BodyTooLarge(limit));
                    return;
                }
                body.appendBuffer(chunk);
            });
            request.endHandler(v -> {
                if (!done[0]) {
                    done[0] = true;
                    emitter.complete(body);
                }
            });
            request.resume();
        });
    }

    /** A body over the limit for its endpoint. */
    public static final class BodyTooLarge extends RuntimeException {
        public BodyTooLarge(int limit) {
            super("body exceeds " + limit + " bytes", null, false, false);
        }
    }
}
