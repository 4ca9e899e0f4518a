package dev.berth.core.storage.filesystem;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.streams.WriteStream;

/**
 * Gathers the small pieces a request body arrives in (a chunked body from a Go client comes in 32 KiB
 * pieces, or smaller) into writes of at least {@code batchBytes}: each {@link AsyncFile} write is a task on
 * a worker thread, so one task per piece cost more than the disk. Back-pressure is the file's own.
 * {@link #end()} writes what is pending and leaves the file open.
 */
final class BatchingWriteStream implements WriteStream<Buffer> {
    private final AsyncFile file;
    private final int batchBytes;
    private Buffer pending;
    private Future<Void> lastWrite = Future.succeededFuture();

    BatchingWriteStream(AsyncFile file, int batchBytes) {
        this.file = file;
        this.batchBytes = batchBytes;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (pending == null && data.length() >= batchBytes) {
            return lastWrite = file.write(data);
        }
        if (pending == null) {
            pending = Buffer.buffer(batchBytes + data.length());
        }
        pending.appendBuffer(data);
        return pending.length() >= batchBytes ? flush() : Future.succeededFuture();
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    /** Writes what is pending; completes once every write so far has reached the file (they complete in order). */
    Future<Void> flush() {
        if (pending != null) {
            Buffer batch = pending;
            pending = null;
            lastWrite = file.write(batch);
        }
        return lastWrite;
    }

    @Override
    public Future<Void> end() {
        return flush();
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
        end().onComplete(handler);
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        file.exceptionHandler(handler);
        return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        file.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return file.writeQueueFull();
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        file.drainHandler(handler);
        return this;
    }
}
