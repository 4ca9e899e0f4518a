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
import org.junit.jupiter.api.Test;

class DigestingReadStreamTest {

    /** Hands its buffers to the handler as soon as one is set, then ends; enough for one pass-through. */
    private static final class ListStream implements ReadStream<Buffer> {
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
