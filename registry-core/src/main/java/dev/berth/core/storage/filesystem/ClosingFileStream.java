package dev.berth.core.storage.filesystem;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.streams.ReadStream;

/**
 * A blob file read as a stream that closes its file once the stream has ended or failed. Vert.x's
 * {@link AsyncFile} keeps its descriptor open after its end until someone closes it, and the callers of
 * {@code BlobStore.read} only see a {@link ReadStream}: without this every ranged pull and every config read
 * over the bus leaked one descriptor (a bench run hit "Too many open files" after ~1 600 reads).
 */
final class ClosingFileStream implements ReadStream<Buffer> {
    private final AsyncFile file;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;
    /**
     * Set once the file is closed: flow control after that is a no-op, as on any ended stream (AsyncFile would
     * throw "File handle is closed"). A caller off the file's context can get there: its handler starts the
     * reading, and a small range may be read, ended and closed before its own resume() comes, even between the
     * check of this flag and the call (the flag is set before the file is closed, so a refusal then is ignored).
     */
    private volatile boolean closed;

    ClosingFileStream(AsyncFile file) {
        this.file = file;
        file.endHandler(v -> {
            closed = true;
            file.close();
            Handler<Void> handler = endHandler;
            if (handler != null) {
                handler.handle(null);
            }
        });
        file.exceptionHandler(failure -> {
            closed = true;
            file.close();
            Handler<Throwable> handler = exceptionHandler;
            if (handler != null) {
                handler.handle(failure);
            }
        });
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        file.handler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
        if (!closed) {
            try {
                file.pause();
            } catch (IllegalStateException e) {
                // closed by the end meanwhile (from the file's context, while this caller was between the check
                // and the call): flow control of an ended stream is a no-op
                if (!closed) {
                    throw e;
                }
            }
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        if (!closed) {
            try {
                file.resume();
            } catch (IllegalStateException e) {
                // closed by the end meanwhile (from the file's context, while this caller was between the check
                // and the call): flow control of an ended stream is a no-op
                if (!closed) {
                    throw e;
                }
            }
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        if (!closed) {
            try {
                file.fetch(amount);
            } catch (IllegalStateException e) {
                // closed by the end meanwhile (from the file's context, while this caller was between the check
                // and the call): flow control of an ended stream is a no-op
                if (!closed) {
                    throw e;
                }
            }
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
        this.endHandler = handler;
        return this;
    }
}
