package dev.berth.core.digest;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Passes a body through while feeding a {@link ResumableDigester} and counting bytes. When a limit is
 * set, more bytes than that fail the stream (a body longer than its {@code Content-Length} or range).
 */
public final class DigestingReadStream implements ReadStream<Buffer> {
    private final ReadStream<Buffer> source;
    private final ResumableDigester digester;
    private final long limit;
    private long count;
    private Handler<Throwable> exceptionHandler;

    /** @param limit the most bytes accepted, or a negative value for no limit */
    public DigestingReadStream(ReadStream<Buffer> source, ResumableDigester digester, long limit) {
        this.source = source;
        this.digester = digester;
        this.limit = limit;
    }

    public long count() {
        return count;
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
            // inbound HTTP data arrives in heap buffers: hash them in place rather than copy every byte
            ByteBuf bytes = buffer.getByteBuf();
            if (bytes.hasArray()) {
                digester.update(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
            } else {
                byte[] copy = buffer.getBytes();
                digester.update(copy, 0, copy.length);
            }
            handler.handle(buffer);
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        source.pause();
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        source.resume();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        source.fetch(amount);
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        source.endHandler(endHandler);
        return this;
    }

    /** The body carried more bytes than it announced. */
    public static final class BodyTooLongException extends RuntimeException {
        public BodyTooLongException(long limit) {
            super("body is longer than the announced " + limit + " bytes");
        }
    }
}
