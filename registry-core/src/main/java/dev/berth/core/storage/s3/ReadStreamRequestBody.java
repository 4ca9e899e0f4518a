package dev.berth.core.storage.s3;

import dev.berth.core.storage.StorageException;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncRequestBody;

/**
 * A client's request body of announced length, handed to the AWS SDK as it arrives: the SDK's demand
 * pauses and resumes the Vert.x stream, so no more than what the S3 connection can take is held, and
 * nothing is staged. Everything that touches the stream runs on its Vert.x context.
 *
 * <p>The body can be sent once only: a retry by the SDK gets an error instead of a second, empty copy.
 * If the stream fails or carries another number of bytes than announced, the S3 request fails;
 * {@link #bodyFailure()} then tells the body's own error apart from an S3 error.
 */
final class ReadStreamRequestBody implements AsyncRequestBody {
    private final Context context;
    private final ReadStream<Buffer> body;
    private final long length;
    private final AtomicBoolean subscribed = new AtomicBoolean();
    private final AtomicLong demand = new AtomicLong();

    // touched on the context only
    private Subscriber<? super ByteBuffer> subscriber;
    private long received;
    private boolean ended;
    private volatile Throwable bodyFailure;

    ReadStreamRequestBody(Context context, ReadStream<Buffer> body, long length) {
        this.context = context;
        this.body = body;
        this.length = length;
        body.pause();
    }

    @Override
    public Optional<Long> contentLength() {
        return Optional.of(length);
    }

    @Override
    public String contentType() {
        return "application/octet-stream";
    }

    /** Bytes taken from the stream so far. */
    long received() {
        return received;
    }

    /** The stream's own failure (or a length mismatch), if that is what ended the request. */
    Throwable bodyFailure() {
        return bodyFailure;
    }

    @Override
    public void subscribe(Subscriber<? super ByteBuffer> s) {
        if (!subscribed.compareAndSet(false, true)) {
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onError(new IllegalStateException("the client's request body cannot be sent to S3 a second time"));
            return;
        }
        context.runOnContext(v -> start(s));
    }

    private void start(Subscriber<? super ByteBuffer> s) {
        subscriber = s;
        body.exceptionHandler(err -> fail(err));
        body.endHandler(v -> {
            if (ended) {
                return;
            }
            if (received != length) {
                fail(new StorageException("the chunk carried " + received + " bytes, announced " + length, null, false));
                return;
            }
            ended = true;
            subscriber.onComplete();
        });
        body.handler(this::onData);
        s.onSubscribe(new Subscription() {
            @Override
            public void request(long n) {
                if (n <= 0) {
                    context.runOnContext(v -> fail(new IllegalArgumentException("non-positive demand " + n)));
                    return;
                }
                demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
                context.runOnContext(v -> {
                    // never resume a stream that ended: HTTP/2 request bodies refuse that
                    if (!ended && demand.get() > 0) {
                        body.resume();
                    }
                });
            }

            @Override
            public void cancel() {
                context.runOnContext(v -> {
                    if (!ended) {
                        ended = true;
                        body.pause();
                    }
                });
            }
        });
    }

    private void onData(Buffer buffer) {
        if (ended) {
            return;
        }
        received += buffer.length();
        if (received > length) {
            fail(new StorageException("the chunk carried more than the announced " + length + " bytes", null, false));
            return;
        }
        // a view of the buffer's bytes, no copy: Vert.x hands every request buffer over for good
        subscriber.onNext(buffer.getByteBuf().nioBuffer());
        if (demand.decrementAndGet() <= 0) {
            body.pause();
        }
    }

    private void fail(Throwable error) {
        if (ended) {
            return;
        }
        ended = true;
        bodyFailure = error;
        body.pause();
        subscriber.onError(error);
    }
}
