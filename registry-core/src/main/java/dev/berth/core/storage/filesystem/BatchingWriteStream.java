package dev.berth.core.storage.filesystem;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.streams.WriteStream;

/**
 * Gathers the small pieces a request body arrives in (a chunked body from a Go client comes in 32 KiB
 * pieces, or smaller) into writes of at least {@code batchBytes}: each {@link AsyncFile} write is a task on
 * a worker thread, so one task per piece cost more than the disk. The pieces are not copied: a batch is
 * a composite buffer over them, which the file writes piece by piece on its worker thread. Back-pressure is the file's own.
 * Every {@code syncBytes} it also asks the file to flush what it has to disk, while more of the body is
 * still arriving, so that the fsync of the commit finds little left to write (durability still comes
 * from that fsync; these flushes only move the work earlier). {@link #end()} writes what is pending and
 * leaves the file open.
 */
final class BatchingWriteStream implements WriteStream<Buffer> {
    /** Pieces per write at most (a composite buffer with more would copy them into one). */
    private static final int MAX_PIECES = 1024;

    private final AsyncFile file;
    private final int batchBytes;
    private final long syncBytes;
    private long unsynced;
    private boolean syncRunning;
    private boolean syncWanted;
    /** The pieces of the next write, referenced rather than copied (the file write gathers them). */
    private CompositeByteBuf pending;
    private Future<Void> lastWrite = Future.succeededFuture();

    BatchingWriteStream(AsyncFile file, int batchBytes, long syncBytes) {
        this.file = file;
        this.batchBytes = batchBytes;
        this.syncBytes = syncBytes;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (pending == null && data.length() >= batchBytes) {
            return written(file.write(data), data.length());
        }
        if (pending == null) {
            pending = Unpooled.compositeBuffer(MAX_PIECES);
        }
        pending.addComponent(true, data.getByteBuf());
        return pending.readableBytes() >= batchBytes || pending.numComponents() >= MAX_PIECES
                ? flush()
                : Future.succeededFuture();
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    /** Writes what is pending; completes once every write so far has reached the file (they complete in order). */
    Future<Void> flush() {
        if (pending != null) {
            Buffer batch = Buffer.buffer(pending);
            pending = null;
            written(file.write(batch), batch.length());
        }
        return lastWrite;
    }

    private Future<Void> written(Future<Void> write, int bytes) {
        lastWrite = write;
        unsynced += bytes;
        if (unsynced >= syncBytes) {
            unsynced = 0;
            write.onSuccess(v -> syncSoon());
        }
        return write;
    }

    /**
     * Best effort and in the background (a failing disk fails the writes and the commit's fsync). At most
     * one flush runs at a time: flushes queued behind each other only wait on the disk, and one that
     * starts later covers everything written before it.
     */
    private void syncSoon() {
        if (syncRunning) {
            syncWanted = true;
            return;
        }
        Future<Void> sync;
        try {
            sync = file.flush();
        } catch (IllegalStateException closed) {
            return; // the chunk is done: the commit syncs what is left
        }
        syncRunning = true;
        sync.onComplete(ar -> {
            syncRunning = false;
            if (syncWanted) {
                syncWanted = false;
                syncSoon();
            }
        });
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
