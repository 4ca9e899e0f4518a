package dev.berth.core.storage.s3;

import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A Reactive Streams publisher of bytes (an S3 object body) as a Vert.x {@link ReadStream}, with
 * back-pressure: at most {@value #WINDOW} buffers are requested ahead of what the consumer took, and none
 * while it is paused. Every handler runs on {@code context}. Unsetting the data handler before the end
 * (a pipe whose destination failed) cancels the subscription, which releases the S3 connection.
 */
final class PublisherReadStream implements ReadStream<Buffer> {
    static final int WINDOW = 16;

    private final Context context;
    private final Publisher<ByteBuffer> publisher;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private Subscription subscription;
    private boolean subscribed;
    private int outstanding;
    private long demand = Long.MAX_VALUE;
    private boolean completed;
    private boolean ended;
    private boolean cancelled;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;
    private Throwable failure;

    PublisherReadStream(Context context, Publisher<ByteBuffer> publisher) {
        this.context = context;
        this.publisher = publisher;
    }

    /** An empty stream that ends as soon as it is read. */
    static PublisherReadStream empty(Context context) {
        return new PublisherReadStream(context, subscriber -> subscriber.onSubscribe(new Subscription() {
            private boolean done;

            @Override
            public void request(long n) {
                if (!done) {
                    done = true;
                    subscriber.onComplete();
                }
            }

            @Override
            public void cancel() {
                done = true;
            }
        }));
    }

    @Override
    public synchronized ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        if (handler != null && failure != null && !ended) {
            Throwable f = failure;
            context.runOnContext(v -> deliverFailure(f));
        }
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        boolean subscribeNow;
        synchronized (this) {
            this.handler = handler;
            if (handler == null) {
                if (!ended && subscription != null && !cancelled) {
                    cancelled = true;
                    subscription.cancel();
                }
                queue.clear();
                return this;
            }
            subscribeNow = !subscribed;
            subscribed = true;
        }
        if (subscribeNow) {
            publisher.subscribe(new Receiver());
        } else {
            context.runOnContext(v -> drain());
        }
        return this;
    }

    @Override
    public synchronized ReadStream<Buffer> pause() {
        demand = 0;
        return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
        return fetch(Long.MAX_VALUE);
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        synchronized (this) {
            demand = amount == Long.MAX_VALUE || demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
        }
        context.runOnContext(v -> drain());
        return this;
    }

    @Override
    public synchronized ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        this.endHandler = endHandler;
        return this;
    }

    /** Delivers queued buffers while there is demand; then the end, or asks upstream for more. Runs on the context. */
    private void drain() {
        while (true) {
            Buffer next;
            Handler<Buffer> h;
            synchronized (this) {
                if (cancelled || ended || handler == null || demand == 0 || queue.isEmpty()) {
                    break;
                }
                next = queue.poll();
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                h = handler;
            }
            h.handle(next);
        }
        Handler<Void> end = null;
        synchronized (this) {
            if (queue.isEmpty() && completed && !ended && !cancelled) {
                ended = true;
                end = endHandler;
            }
        }
        if (end != null) {
            end.handle(null);
            return;
        }
        requestMore();
    }

    private void requestMore() {
        long n;
        Subscription s;
        synchronized (this) {
            if (subscription == null || completed || cancelled || failure != null) {
                return;
            }
            n = WINDOW - queue.size() - outstanding;
            if (n <= 0) {
                return;
            }
            outstanding += (int) n;
            s = subscription;
        }
        s.request(n);
    }

    private void deliverFailure(Throwable error) {
        Handler<Throwable> h;
        synchronized (this) {
            if (ended || cancelled) {
                return;
            }
            ended = true;
            h = exceptionHandler;
        }
        if (h != null) {
            h.handle(error);
        }
    }

    private final class Receiver implements Subscriber<ByteBuffer> {
        @Override
        public void onSubscribe(Subscription s) {
            boolean cancel;
            synchronized (PublisherReadStream.this) {
                cancel = cancelled || subscription != null;
                if (!cancel) {
                    subscription = s;
                }
            }
            if (cancel) {
                s.cancel();
                return;
            }
            context.runOnContext(v -> requestMore());
        }

        @Override
        public void onNext(ByteBuffer bytes) {
            // copy: the SDK may reuse the buffer once this returns
            Buffer buffer = Buffer.buffer(Unpooled.copiedBuffer(bytes));
            synchronized (PublisherReadStream.this) {
                outstanding = Math.max(0, outstanding - 1);
                if (cancelled) {
                    return;
                }
                queue.add(buffer);
            }
            context.runOnContext(v -> drain());
        }

        @Override
        public void onError(Throwable t) {
            synchronized (PublisherReadStream.this) {
                failure = t;
            }
            context.runOnContext(v -> deliverFailure(S3Errors.map("cannot read object", t)));
        }

        @Override
        public void onComplete() {
            synchronized (PublisherReadStream.this) {
                completed = true;
            }
            context.runOnContext(v -> drain());
        }
    }
}
