package dev.berth.core.storage.s3;

import dev.berth.core.storage.BlobStore.ChunkWritten;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;

/**
 * Writes one chunk of an upload: the pending tail (if any) and the chunk's bytes are cut into parts of
 * the configured size, each stored as the next multipart part as soon as it is full; what is left, less
 * than a part, becomes the new pending tail object. At most one part is held in memory: the body is
 * paused while a part is being stored. Everything runs on one Vert.x context.
 *
 * <p>Nothing here changes the state that the old handle describes: parts are written at numbers from
 * {@code nextPart} on and the new tail goes to a new key, so if this chunk fails (or its transaction
 * never commits) the old handle still names a consistent upload. The multipart upload is started here,
 * when the first full part is ready; the first chunk's tail goes straight to the blob's object, which
 * no earlier state uses.
 */
final class ChunkWriter {
    private final S3BlobStore store;
    private final Context context;
    private final ReadStream<Buffer> body;
    private final Promise<ChunkWritten> result = Promise.promise();
    private final ArrayDeque<Buffer> overflow = new ArrayDeque<>();
    private final long partSize;

    private S3UploadHandle state;
    private byte[] part;
    private int fill;
    private long received;
    private boolean storing;
    private boolean ended;
    private boolean finished;

    ChunkWriter(S3BlobStore store, Context context, S3UploadHandle start, ReadStream<Buffer> body, long partSize) {
        this.store = store;
        this.context = context;
        this.state = start;
        this.body = body;
        this.partSize = partSize;
    }

    Future<ChunkWritten> run() {
        body.pause();
        Future<byte[]> tail = state.tail() > 0 ? store.readTail(state) : Future.succeededFuture(null);
        tail.onComplete(ar -> onContext(() -> {
            if (ar.failed()) {
                // the body stays unread: the error response closes the connection
                fail(ar.cause());
                return;
            }
            start(ar.result());
        }));
        return result.future();
    }

    private void start(byte[] tail) {
        int capacity = (int) Math.max(partSize, tail == null ? 0 : tail.length);
        part = new byte[capacity];
        if (tail != null) {
            System.arraycopy(tail, 0, part, 0, tail.length);
            fill = tail.length;
        }
        body.exceptionHandler(err -> onContext(() -> fail(err)));
        body.endHandler(v -> onContext(() -> {
            ended = true;
            if (!storing) {
                finish();
            }
        }));
        body.handler(buffer -> onContext(() -> onData(buffer)));
        body.resume();
    }

    private void onContext(Runnable action) {
        if (Context.isOnVertxThread() && context == io.vertx.core.Vertx.currentContext()) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    private void onData(Buffer buffer) {
        if (finished) {
            return;
        }
        received += buffer.length();
        if (storing || !overflow.isEmpty()) {
            overflow.add(buffer);
            return;
        }
        append(buffer, 0);
    }

    /** Copies {@code buffer} from {@code from} into the part; a full part is stored and the rest waits. */
    private void append(Buffer buffer, int from) {
        int n = Math.min(buffer.length() - from, part.length - fill);
        buffer.getBytes(from, from + n, part, fill);
        fill += n;
        if (fill == part.length) {
            if (from + n < buffer.length()) {
                overflow.addFirst(buffer.slice(from + n, buffer.length()));
            }
            storePart();
        }
    }

    private void storePart() {
        storing = true;
        body.pause();
        int size = fill;
        Future<S3UploadHandle> started = state.hasMultipart() ? Future.succeededFuture(state) : store.startMultipart(state);
        S3UploadHandle[] withUpload = {state};
        started.compose(s -> {
            withUpload[0] = s;
            return store.uploadPart(s, s.nextPart(), part, size);
        }).onComplete(ar -> onContext(() -> {
            storing = false;
            if (finished) {
                return;
            }
            if (ar.failed()) {
                fail(ar.cause());
                return;
            }
            state = withUpload[0].withPart(size, ar.result());
            fill = 0;
            while (!overflow.isEmpty() && !storing) {
                append(overflow.poll(), 0);
            }
            if (storing) {
                return;
            }
            if (ended) {
                finish();
            } else {
                body.resume();
            }
        }));
    }

    /** The body ended and no part is being stored: the rest becomes the new pending tail. */
    private void finish() {
        if (finished) {
            return;
        }
        if (received == 0) {
            complete(state);
            return;
        }
        if (fill == 0) {
            complete(state.withTail(0, ""));
            return;
        }
        long tailSize = fill;
        // the upload's first bytes, and all of them: a small blob is then in place without a copy at commit
        boolean inBlob = !state.hasMultipart() && state.size() == 0;
        S3UploadHandle next = state.withTail(tailSize, "", inBlob);
        store.writeTail(next.tailKey(), part, fill).onComplete(ar -> onContext(() -> {
            if (ar.failed()) {
                fail(ar.cause());
            } else {
                complete(state.withTail(tailSize, ar.result(), inBlob));
            }
        }));
    }

    private void complete(S3UploadHandle handle) {
        if (!finished) {
            finished = true;
            part = null;
            result.tryComplete(new ChunkWritten(handle.encode(), received));
        }
    }

    private void fail(Throwable error) {
        if (!finished) {
            finished = true;
            part = null;
            overflow.clear();
            // S3 failures arrive as StorageExceptions already; a failing body keeps its own error
            result.tryFail(error);
        }
    }
}
