package dev.berth.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DigestingReadStreamTest {

    /** Hands its buffers to the handler as soon as one is set, then ends; enough for one pass-through. */
    private static class ListStream implements ReadStream<Buffer> {
        private final List<Buffer> buffers;
        private Handler<Void> endHandler;

        ListStream(List<Buffer> buffers) {
            this.buffers = buffers;
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            if (handler != null) {
                for (Buffer b : buffers) {
                    handler.handle(b);
                }
                if (endHandler != null) {
                    endHandler.handle(null);
                }
            }
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            this.endHandler = handler;
            return this;
        }
    }

    @Test
    void hashesHeapSlicesAndDirectBuffersAlikeAndPassesThemOn() {
        byte[] data = new byte[300_000];
        new Random(11).nextBytes(data);
        List<Buffer> parts = new ArrayList<>();
        // a slice of a larger heap buffer (array offset and reader index not zero)
        parts.add(Buffer.buffer(data).slice(0, 70_000));
        parts.add(Buffer.buffer(data).getBuffer(70_000, 150_000));
        // a direct buffer: no backing array
        parts.add(Buffer.buffer(Unpooled.directBuffer(150_000).writeBytes(data, 150_000, 150_000)));
        ResumableDigester digester = ResumableDigester.fresh();
        DigestingReadStream stream = new DigestingReadStream(new ListStream(parts), digester, data.length);
        ByteArrayOutputStream passed = new ByteArrayOutputStream();
        stream.handler(b -> passed.writeBytes(b.getBytes()));

        assertThat(stream.count()).isEqualTo(data.length);
        assertThat(passed.toByteArray()).isEqualTo(data);
        assertThat(digester.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, data));
    }

    @Test
    void offloadedHashingSignalsTheEndOnlyOnceEveryPieceIsHashed() throws Exception {
        ExecutorService hashing = Executors.newFixedThreadPool(2);
        ExecutorService callbacks = Executors.newSingleThreadExecutor();
        try {
            // more than the hashing backlog allowed before the source is paused
            byte[] data = new byte[(int) DigestingReadStream.HASH_QUEUE_HIGH + (3 << 20) + 5];
            new Random(12).nextBytes(data);
            Buffer whole = Buffer.buffer(data);
            List<Buffer> parts = new ArrayList<>();
            for (int at = 0; at < data.length; at += 65536) {
                parts.add(whole.slice(at, Math.min(data.length, at + 65536)));
            }
            ResumableDigester digester = ResumableDigester.fresh();
            CompletableFuture<Digest> digestAtEnd = new CompletableFuture<>();
            DigestingReadStream stream = DigestingReadStream.offloaded(new ListStream(parts), digester, data.length,
                    hashing, callbacks);
            stream.endHandler(v -> digestAtEnd.complete(digester.digest(DigestAlgorithm.SHA256)));
            stream.handler(b -> {
            });

            assertThat(digestAtEnd.get(20, TimeUnit.SECONDS)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, data));
            assertThat(stream.count()).isEqualTo(data.length);
        } finally {
            hashing.shutdownNow();
            callbacks.shutdownNow();
        }
    }

    @Test
    void hashedCompletesOnlyOnceEveryPiecePassedOnIsHashed() {
        // a consumer done before the end (the S3 client, once it sent the announced length) waits for hashed()
        byte[] data = new byte[3000];
        new java.util.Random(7).nextBytes(data);
        List<Runnable> held = new ArrayList<>();
        ListStream body = new ListStream(List.of(Buffer.buffer(java.util.Arrays.copyOfRange(data, 0, 1000)),
                Buffer.buffer(java.util.Arrays.copyOfRange(data, 1000, 2500)),
                Buffer.buffer(java.util.Arrays.copyOfRange(data, 2500, 3000))));
        ResumableDigester digester = ResumableDigester.fresh();
        DigestingReadStream stream = DigestingReadStream.offloaded(body, digester, data.length, held::add, Runnable::run);
        List<Buffer> taken = new ArrayList<>();
        stream.handler(taken::add);
        assertThat(taken).hasSize(3);

        io.vertx.core.Future<Void> hashed = stream.hashed();
        assertThat(hashed.isComplete()).as("hashed before the hashing thread ran").isFalse();
        while (!held.isEmpty()) {
            held.remove(0).run();
        }
        assertThat(hashed.succeeded()).isTrue();
        assertThat(digester.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, data));
    }

    @Test
    void aSourceReadToItsEndIsNotResumedWhileHashingCatchesUp() {
        // an HTTP request read to its end throws on resume(); a consumer whose write failed resumes us
        List<Runnable> held = new ArrayList<>();
        ListStream body = new ListStream(List.of(Buffer.buffer(new byte[1000]))) {
            boolean ended;

            @Override
            public ReadStream<Buffer> endHandler(Handler<Void> handler) {
                return super.endHandler(handler == null ? null : v -> {
                    ended = true;
                    handler.handle(v);
                });
            }

            @Override
            public ReadStream<Buffer> resume() {
                if (ended) {
                    throw new IllegalStateException("Request has already been read");
                }
                return this;
            }
        };
        ResumableDigester digester = ResumableDigester.fresh();
        DigestingReadStream stream = DigestingReadStream.offloaded(body, digester, 1000, held::add, Runnable::run);
        List<String> events = new ArrayList<>();
        stream.endHandler(v -> events.add("end"));
        stream.handler(b -> events.add("piece"));

        stream.pause();
        stream.resume();
        assertThat(events).containsExactly("piece");
        held.forEach(Runnable::run);
        assertThat(events).containsExactly("piece", "end");
        assertThat(digester.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, new byte[1000]));
    }

    @Test
    void moreBytesThanAnnouncedFailTheStream() {
        List<Throwable> failures = new ArrayList<>();
        DigestingReadStream stream = new DigestingReadStream(
                new ListStream(List.of(Buffer.buffer(new byte[10]), Buffer.buffer(new byte[10]))),
                ResumableDigester.fresh(), 15);
        stream.exceptionHandler(failures::add);
        stream.handler(b -> {
        });
        assertThat(failures).singleElement().isInstanceOf(DigestingReadStream.BodyTooLongException.class);
        assertThat(stream.count()).isEqualTo(10);
    }
}
