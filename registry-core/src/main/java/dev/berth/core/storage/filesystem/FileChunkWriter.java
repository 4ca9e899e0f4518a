package dev.berth.core.storage.filesystem;

import dev.berth.core.concurrent.SerialExecutor;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Writes a body into an upload file from an offset on. The pieces a body arrives in (32 KiB or less from
 * a Go client) are gathered, without copying them, into batches of at least {@code batchBytes}, and each
 * batch is one gathering write on a worker thread; batches run one at a time and in order. Up to
 * {@code queueBytes} may wait for the disk before {@link #writeQueueFull()} pauses the sender.
 *
 * <p>Every {@code syncBytes} it also asks the disk to flush what it has (at most one such flush at a
 * time, in the background), so that the fsync of the commit finds little left to write; durability still
 * comes from that fsync. A failed write fails that batch and every later one: the caller discards the
 * partial chunk. The channel stays open; the caller closes it once {@link #settled()}.
 *
 * <p>Why not Vert.x' {@code AsyncFile}: one worker task per piece cost more than the disk, and a gathered
 * (composite) buffer that fails half-way leaves its close waiting forever (Vert.x 4.5).
 */
final class FileChunkWriter implements WriteStream<Buffer> {
    /** Pieces per batch at most (one {@code writev}). */
    private static final int MAX_PIECES = 256;

    private final Context context;
    private final FileChannel channel;
    private final Executor disk;
    private final int batchBytes;
    private final long queueBytes;
    private final long syncBytes;

    private final long start;
    private long position;
    private List<ByteBuffer> pending = new ArrayList<>();
    private int pendingBytes;
    private Promise<Void> pendingWritten;
    private Future<Void> lastBatch = Future.succeededFuture();
    private long queued;
    private long unsynced;
    private boolean syncRunning;
    private boolean syncWanted;
    private Throwable failure;
    /** Set on the disk thread by the first failed write, so that the batches behind it do not write. */
    private volatile Throwable diskFailure;
    private Handler<Void> drainHandler;
    private Handler<Throwable> exceptionHandler;

    /**
     * @param context the Vert.x context of the stream: every callback and future completes there
     * @param pool the worker pool that writes and flushes
     */
    FileChunkWriter(Context context, Executor pool, FileChannel channel, long offset, int batchBytes, long queueBytes,
            long syncBytes) {
        this.context = context;
        this.channel = channel;
        this.disk = new SerialExecutor(pool);
        this.start = offset;
        this.position = offset;
        this.batchBytes = batchBytes;
        this.queueBytes = queueBytes;
        this.syncBytes = syncBytes;
    }

    /** Bytes accepted so far (written once {@link #end()} has succeeded). */
    long accepted() {
        return position + pendingBytes - start;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        int n = data.length();
        if (n == 0) {
            return Future.succeededFuture();
        }
        // a view of the piece's bytes, not a copy (inbound HTTP pieces are never written to again)
        pending.add(data.getByteBuf().nioBuffer());
        pendingBytes += n;
        queued += n;
        if (pendingWritten == null) {
            pendingWritten = Promise.promise();
        }
        Future<Void> written = pendingWritten.future();
        if (pendingBytes >= batchBytes || pending.size() >= MAX_PIECES) {
            submit();
        }
        return written;
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    /** Hands what is pending to the disk; the result completes once every batch so far is written. */
    private Future<Void> submit() {
        if (pending.isEmpty()) {
            return lastBatch;
        }
        ByteBuffer[] batch = pending.toArray(ByteBuffer[]::new);
        int bytes = pendingBytes;
        Promise<Void> written = pendingWritten;
        long at = position;
        pending = new ArrayList<>();
        pendingBytes = 0;
        pendingWritten = null;
        position += bytes;
        disk.execute(() -> {
            Throwable error = diskFailure;
            if (error == null) {
                try {
                    writeFully(batch, at);
                } catch (IOException | RuntimeException e) {
                    diskFailure = e;
                    error = e;
                }
            }
            Throwable result = error;
            context.runOnContext(v -> batchWritten(written, bytes, result));
        });
        lastBatch = written.future();
        return lastBatch;
    }

    private void writeFully(ByteBuffer[] batch, long at) throws IOException {
        // only this stream's disk tasks move the position, one at a time
        channel.position(at);
        int first = 0;
        while (first < batch.length) {
            channel.write(batch, first, batch.length - first);
            while (first < batch.length && !batch[first].hasRemaining()) {
                first++;
            }
        }
    }

    private void batchWritten(Promise<Void> written, int bytes, Throwable error) {
        queued -= bytes;
        if (error != null) {
            if (failure == null) {
                failure = error;
                if (exceptionHandler != null) {
                    exceptionHandler.handle(error);
                }
            }
            written.fail(error);
            return;
        }
        written.complete();
        unsynced += bytes;
        if (unsynced >= syncBytes) {
            unsynced = 0;
            syncSoon();
        }
        if (drainHandler != null && queued <= queueBytes / 2) {
            Handler<Void> handler = drainHandler;
            drainHandler = null;
            handler.handle(null);
        }
    }

    /** At most one background flush at a time: one that starts later covers everything written before it. */
    private void syncSoon() {
        if (syncRunning) {
            syncWanted = true;
            return;
        }
        syncRunning = true;
        context.executeBlocking(() -> {
            try {
                channel.force(false);
            } catch (ClosedChannelException closed) {
                // the chunk is done: the commit syncs what is left
            }
            return null;
        }, false).onComplete(ar -> {
            // best effort: a failing disk fails the writes and the commit's fsync
            syncRunning = false;
            if (syncWanted) {
                syncWanted = false;
                syncSoon();
            }
        });
    }

    /** Writes what is pending; completes once every byte accepted is written, or fails with the first error. */
    @Override
    public Future<Void> end() {
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        return submit();
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
        end().onComplete(handler);
    }

    /** Completes (never fails) once no write of this stream is running or queued. */
    Future<Void> settled() {
        return lastBatch.otherwiseEmpty().mapEmpty();
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        throw new UnsupportedOperationException("the queue size is set at construction");
    }

    @Override
    public boolean writeQueueFull() {
        return queued >= queueBytes;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        this.drainHandler = handler;
        return this;
    }
}
