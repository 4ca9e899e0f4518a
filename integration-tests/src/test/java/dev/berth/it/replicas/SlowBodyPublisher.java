package dev.berth.it.replicas;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request body that sends its first {@code fastBytes} at once, then trickles the rest in small pieces
 * with a pause between them, so that a test can kill the server while the body is still streaming. The
 * latch opens when the fast part has been handed to the HTTP client. One emitting thread per
 * subscription; it stops when the client cancels (the connection died), when all is sent, or at a
 * deadline.
 */
final class SlowBodyPublisher implements Flow.Publisher<ByteBuffer> {

    private static final int PIECE = 64 * 1024;

    private final byte[] data;
    private final int from;
    private final int to;
    private final int fastBytes;
    private final Duration pause;
    private final CountDownLatch fastPartSent = new CountDownLatch(1);
    private final AtomicLong emitted = new AtomicLong();

    SlowBodyPublisher(byte[] data, int from, int to, int fastBytes, Duration pause) {
        this.data = data;
        this.from = from;
        this.to = to;
        this.fastBytes = fastBytes;
        this.pause = pause;
    }

    long contentLength() {
        return to - from;
    }

    CountDownLatch fastPartSent() {
        return fastPartSent;
    }

    /** Bytes handed to the HTTP client so far. */
    long emitted() {
        return emitted.get();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        Emitter emitter = new Emitter(subscriber);
        subscriber.onSubscribe(emitter);
        Thread thread = new Thread(emitter, "slow-body-publisher");
        thread.setDaemon(true);
        thread.start();
    }

    private final class Emitter implements Flow.Subscription, Runnable {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private long demand;
        private boolean cancelled;

        Emitter(Flow.Subscriber<? super ByteBuffer> subscriber) {
            this.subscriber = subscriber;
        }

        @Override
        public synchronized void request(long n) {
            if (n <= 0) {
                cancelled = true;
                subscriber.onError(new IllegalArgumentException("non-positive request " + n));
                return;
            }
            demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            notifyAll();
        }

        @Override
        public synchronized void cancel() {
            cancelled = true;
            notifyAll();
        }

        /** Waits (bounded) for demand; false when cancelled or out of time. */
        private synchronized boolean awaitDemand(long deadline) throws InterruptedException {
            while (demand == 0 && !cancelled) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                wait(Math.min(left, 500));
            }
            if (cancelled) {
                return false;
            }
            demand--;
            return true;
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            int position = from;
            try {
                while (position < to) {
                    if (!awaitDemand(deadline)) {
                        return;
                    }
                    int length = Math.min(PIECE, to - position);
                    subscriber.onNext(ByteBuffer.wrap(data, position, length).slice());
                    position += length;
                    long sent = emitted.addAndGet(length);
                    if (sent >= fastBytes) {
                        fastPartSent.countDown();
                        Thread.sleep(pause.toMillis());
                    }
                }
                subscriber.onComplete();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                subscriber.onError(e);
            }
        }
    }
}
