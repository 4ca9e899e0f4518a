package dev.berth.core.digest;

import dev.berth.core.concurrent.SerialExecutor;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Passes a body through while feeding a {@link ResumableDigester} and counting bytes. When a limit is
 * set, more bytes than that fail the stream (a body longer than its {@code Content-Length} or range).
 *
 * <p>Hashing can run on another thread ({@link #offloaded}): SHA-256 of a large body is a third of the
 * event loop's work on an upload, and on a second core it overlaps with receiving and writing. The
 * pieces are hashed in arrival order on one thread at a time; the stream's end is signalled only once
 * every piece is hashed, so whoever waits for the end can read the digester. If hashing falls more than
 * {@link #HASH_QUEUE_HIGH} bytes behind, the source is paused until it catches up.
 */
public final class DigestingReadStream implements ReadStream<Buffer> {
    /** Bytes waiting for the hashing thread before the source is paused. */
    static final long HASH_QUEUE_HIGH = 8L << 20;
    /** ... and resumed once the backlog is down to this. */
    static final long HASH_QUEUE_LOW = 2L << 20;

    private final ReadStream<Buffer> source;
    private final ResumableDigester digester;
    private final long limit;
    /** One piece at a time, in order, on a worker; {@code null} to hash where the body arrives. */
    private final Executor hashing;
    private final Executor callbacks;

    private final AtomicLong backlog = new AtomicLong();
    private final AtomicBoolean waitingForHashing = new AtomicBoolean();

    // only touched on the stream's own thread
    private long count;
    private boolean pausedByConsumer;
    /** The source delivered its end (ours may still wait for hashing): it must not be resumed again. */
    private boolean sourceEnded;
    private Handler<Throwable> exceptionHandler;
    private Handler<Void> endHandler;

    /**
     * Hashes on the thread the body arrives on.
     *
     * @param limit the most bytes accepted, or a negative value for no limit
     */
    public DigestingReadStream(ReadStream<Buffer> source, ResumableDigester digester, long limit) {
        this(source, digester, limit, null, null);
    }

    private DigestingReadStream(ReadStream<Buffer> source, ResumableDigester digester, long limit,
            SerialExecutor hashing, Executor callbacks) {
        this.source = source;
        this.digester = digester;
        this.limit = limit;
        this.hashing = hashing;
        this.callbacks = callbacks;
    }

    /**
     * Hashes on {@code hashing} (a worker pool; one piece at a time per stream, in order) and calls back the
     * consumer through {@code callbacks} (the Vert.x context the body arrives on).
     */
    public static DigestingReadStream offloaded(ReadStream<Buffer> source, ResumableDigester digester, long limit,
            Executor hashing, Executor callbacks) {
        return new DigestingReadStream(source, digester, limit, new SerialExecutor(hashing), callbacks);
    }

    /** Bytes passed through so far (the digester may still be catching up until the end is signalled). */
    public long count() {
        return count;
    }

    /**
     * Completes once every piece passed through so far is hashed, so that the digester can be read. A consumer
     * may be done before this stream signals its end: the S3 client completes an upload of announced length
     * as soon as it has sent that many bytes, and cancels the stream rather than wait for its end.
     */
    public Future<Void> hashed() {
        if (hashing == null) {
            return Future.succeededFuture();
        }
        Promise<Void> done = Promise.promise();
        // one piece at a time, in order: this runs after every piece queued before it
        hashing.execute(() -> callbacks.execute(done::complete));
        return done.future();
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        source.exceptionHandler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        if (handler == null) {
            source.handler(null);
            return this;
        }
        source.handler(buffer -> {
            int n = buffer.length();
            if (limit >= 0 && count + n > limit) {
                source.handler(null);
                if (exceptionHandler != null) {
                    exceptionHandler.handle(new BodyTooLongException(limit));
                }
                return;
            }
            count += n;
            hashLater(buffer, n);
            handler.handle(buffer);
        });
        return this;
    }

    private void hashLater(Buffer buffer, int n) {
        // inbound HTTP data arrives in heap buffers that nobody writes to again: hash them in place
        ByteBuf bytes = buffer.getByteBuf();
        byte[] array = bytes.hasArray() ? bytes.array() : buffer.getBytes();
        int offset = bytes.hasArray() ? bytes.arrayOffset() + bytes.readerIndex() : 0;
        if (hashing == null) {
            digester.update(array, offset, n);
            return;
        }
        long behind = backlog.addAndGet(n);
        hashing.execute(() -> {
            digester.update(array, offset, n);
            if (backlog.addAndGet(-n) <= HASH_QUEUE_LOW && waitingForHashing.compareAndSet(true, false)) {
                callbacks.execute(this::hashingCaughtUp);
            }
        });
        if (behind > HASH_QUEUE_HIGH && !waitingForHashing.get()) {
            waitingForHashing.set(true);
            source.pause();
            // the hashing thread may have caught up before it could see the flag
            if (backlog.get() <= HASH_QUEUE_LOW && waitingForHashing.compareAndSet(true, false)) {
                hashingCaughtUp();
            }
        }
    }

    private void hashingCaughtUp() {
        if (!pausedByConsumer && !sourceEnded) {
            source.resume();
        }
    }

    private void ended() {
        if (endHandler != null) {
            endHandler.handle(null);
        }
    }

    @Override
    public ReadStream<Buffer> pause() {
        pausedByConsumer = true;
        if (!sourceEnded) {
            source.pause();
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        pausedByConsumer = false;
        // a consumer that gives up early (a failed write) resumes us to drain the rest of the body; an
        // HTTP request that has been read to its end refuses that
        if (!waitingForHashing.get() && !sourceEnded) {
            source.resume();
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        pausedByConsumer = false;
        if (!waitingForHashing.get() && !sourceEnded) {
            source.fetch(amount);
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
        this.endHandler = handler;
        // the end waits behind the pieces still being hashed
        source.endHandler(handler == null ? null : v -> {
            sourceEnded = true;
            if (hashing == null) {
                ended();
            } else {
                hashing.execute(() -> callbacks.execute(this::ended));
            }
        });
        return this;
    }

    /** The body carried more bytes than it announced. */
    public static final class BodyTooLongException extends RuntimeException {
        public BodyTooLongException(long limit) {
            super("body is longer than the announced " + limit + " bytes");
        }
    }
}
