package dev.berth.registry.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.ReadStream;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;

/**
 * The request body as a stream that also fails when the client's connection drops. A dropped
 * connection does not always reach the request's own exception handler, and a chunk that never ends
 * would keep its upload locked; the response's close handler closes that gap.
 *
 * <p>Vert.x tells of a close only to the handlers set at that moment: a request handled after its client
 * left (queued behind a slow token check, say) would otherwise wait forever for a body that never ends.
 * So the body starts out failed when the connection is closed already, and {@link #failure()} lets a
 * handler refuse to start work (take an upload's lock) for a client that is gone.
 */
public final class RequestBody implements ReadStream<Buffer> {
    private final HttpServerRequest request;
    private Handler<Throwable> exceptionHandler;
    private boolean ended;
    private boolean failed;
    /** A failure seen before anyone listened: delivered as soon as a handler is set. */
    private Throwable pending;
    /** Why the body failed, once it did. */
    private volatile Throwable failure;

    private RequestBody(HttpServerRequest request) {
        this.request = request;
    }

    public static RequestBody of(RoutingContext ctx) {
        RequestBody body = new RequestBody(ctx.request());
        if (ctx.response().closed()) {
            // the close handler below would never run
            body.fail(new IOException("the client closed the connection before its request was handled"));
            return body;
        }
        ctx.response().closeHandler(v -> body.fail(new IOException("the client closed the connection mid-body")));
        // a failure while the body waits, paused, for its consumer is kept for it too
        ctx.request().exceptionHandler(body::fail);
        return body;
    }

    /** Why the body failed (its client left, the connection broke), or {@code null} while it has not. */
    public Throwable failure() {
        return failure;
    }

    private void fail(Throwable error) {
        if (!ended && !failed) {
            failed = true;
            failure = error;
            if (exceptionHandler != null) {
                exceptionHandler.handle(error);
            } else {
                pending = error;
            }
        }
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        request.exceptionHandler(handler == null ? null : this::fail);
        if (handler != null && pending != null) {
            Throwable error = pending;
            pending = null;
            handler.handle(error);
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        request.handler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        request.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        request.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        request.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        request.endHandler(endHandler == null ? null : v -> {
            ended = true;
            if (!failed) {
                endHandler.handle(v);
            }
        });
        return this;
    }
}
