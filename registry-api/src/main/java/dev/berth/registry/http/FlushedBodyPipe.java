package dev.berth.registry.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;

/**
 * Streams a body into a response, with back-pressure, and ends the response only once every byte of the
 * body has been handed to the socket.
 * <p>
 * Why not {@code body.pipeTo(response)}: that pipe writes the body and calls {@code response.end()} as soon
 * as the body ends, and Vert.x runs the response's end handler right there, while the last writes may still
 * wait in Netty's outbound buffer behind a slow reader. Quarkus' graceful shutdown counts a request as done
 * in that end handler; once none is left it closes every connection, and Netty drops what it still held:
 * a client pulling a large blob across a SIGTERM got a truncated body (issue 10). Bytes already in the
 * kernel's send buffer survive the close, so waiting for the last write to complete is enough. (Responses
 * sent with {@code sendFile} need none of this: Vert.x runs their end handler once the file is written.)
 * <p>
 * When the body fails, the response is not ended: the caller's error handling cuts the connection, so the
 * client sees a short body as an error rather than waiting for bytes that never come.
 */
public final class FlushedBodyPipe {
    private final ReadStream<Buffer> body;
    private final HttpServerResponse response;
    private final Promise<Void> result = Promise.promise();
    private Future<Void> lastWrite = Future.succeededFuture();

    private FlushedBodyPipe(ReadStream<Buffer> body, HttpServerResponse response) {
        this.body = body;
        this.response = response;
    }

    /** Pipes {@code body} into {@code response}; completes once the response has ended (or fails). */
    public static Future<Void> pipe(ReadStream<Buffer> body, HttpServerResponse response) {
        return new FlushedBodyPipe(body, response).start();
    }

    private Future<Void> start() {
        response.exceptionHandler(this::fail);
        body.exceptionHandler(this::fail);
        body.endHandler(v -> lastWrite.onComplete(written -> {
            if (written.failed()) {
                fail(written.cause());
            } else if (!result.future().isComplete()) {
                // every byte is in the kernel now: ending (an empty last content) lets shutdown count it done
                response.end().onComplete(ended -> {
                    release();
                    result.handle(ended);
                });
            }
        }));
        body.handler(this::write);
        body.resume();
        return result.future();
    }

    private void write(Buffer chunk) {
        lastWrite = response.write(chunk);
        lastWrite.onFailure(this::fail);
        if (response.writeQueueFull()) {
            body.pause();
            response.drainHandler(v -> body.resume());
        }
    }

    private void fail(Throwable error) {
        if (result.future().isComplete()) {
            return;
        }
        // unsetting the handler cancels the storage read (and frees its connection)
        body.handler(null);
        body.exceptionHandler(null);
        body.endHandler(null);
        release();
        if (!response.headWritten()) {
            // nothing was sent: the error answer must not announce the blob's length
            response.headers().remove("Content-Length");
        }
        result.tryFail(error);
    }

    private void release() {
        response.exceptionHandler(null);
        response.drainHandler(null);
    }
}
