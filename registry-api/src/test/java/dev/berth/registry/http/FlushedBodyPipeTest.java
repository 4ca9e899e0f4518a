package dev.berth.registry.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FlushedBodyPipe} on a real Vert.x HTTP server and a plain socket client: the response's end
 * handler (where Quarkus' graceful shutdown counts a request done) runs only once the whole body has left
 * Netty's outbound buffer, even for a client that reads slowly; a body that fails leaves the response open.
 */
class FlushedBodyPipeTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    /* more than a send buffer takes (Linux allows 4 MiB by default) while the slow client lets its own fill: part
     * of it still waits in Netty when the body ends */
    private static final int LAST_BUFFER = 8 * MIB;

    private Vertx vertx;
    private HttpServer server;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theResponseEndsOnlyOnceTheBodyLeftTheOutboundBuffer() throws Exception {
        int length = 16 * MIB;
        CompletableFuture<Long> unsentAtEnd = new CompletableFuture<>();
        CompletableFuture<Void> piped = new CompletableFuture<>();
        int port = serve((request, body) -> {
            Channel channel = ((ConnectionBase) request.connection()).channel();
            request.response().putHeader("Content-Length", String.valueOf(length));
            request.response().endHandler(v -> unsentAtEnd.complete(unsentBytes(channel)));
            FlushedBodyPipe.pipe(body, request.response()).onComplete(done -> complete(piped, done.cause()));
        }, length, LAST_BUFFER, -1);

        long received = readSlowly(port);

        assertThat(received).as("bytes received").isEqualTo(length);
        assertThat(unsentAtEnd.get(10, TimeUnit.SECONDS)).as("body bytes still in Netty's outbound buffer at the end")
                .isZero();
        piped.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFailingBodyLeavesTheResponseOpenAndStopsReading() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Boolean> ended = new CompletableFuture<>();
        CompletableFuture<Boolean> released = new CompletableFuture<>();
        int port = serve((request, body) -> {
            request.response().putHeader("Content-Length", String.valueOf(4 * MIB));
            FlushedBodyPipe.pipe(body, request.response()).onComplete(done -> {
                failure.complete(done.cause());
                ended.complete(request.response().ended());
                released.complete(((Generated) body).unset);
                request.connection().close();
            });
        }, 4 * MIB, 32 * KIB, MIB);

        long received = readSlowly(port);

        assertThat(failure.get(10, TimeUnit.SECONDS)).hasMessage("storage failed");
        assertThat(ended.get()).as("response ended").isFalse();
        assertThat(released.get()).as("body handler unset (the storage read is cancelled)").isTrue();
        assertThat(received).as("bytes received before the connection was cut").isLessThan(4 * MIB);
    }

    /** Starts a server answering every request with {@code handler} and a generated body; its port. */
    private int serve(BiConsumer<HttpServerRequest, ReadStream<Buffer>> handler, long length, int lastBuffer,
            long failAt) throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> handler.accept(request,
                new Generated(length, lastBuffer, failAt)));
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
                .actualPort();
    }

    /** GETs / on a plain socket and reads the body in small, spaced reads; the body bytes received. */
    private static long readSlowly(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return 0;
                }
                head.append((char) b);
            }
            long length = Long.parseLong(head.toString().replaceAll("(?is).*content-length:\\s*(\\d+).*", "$1"));
            byte[] buffer = new byte[64 * KIB];
            long received = 0;
            try {
                int n;
                while (received < length && (n = in.read(buffer)) >= 0) {
                    received += n;
                    Thread.sleep(2);
                }
            } catch (IOException e) {
                // cut by the server: what arrived so far is the answer
            }
            return received;
        }
    }

    /**
     * Body bytes queued in Netty that the socket has not taken yet (what a close would drop). Not
     * {@code totalPendingWriteBytes()}: Netty notifies a write's success before it takes its size off that.
     */
    private static long unsentBytes(Channel channel) {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        if (outbound == null) {
            return -1;
        }
        long[] unsent = {0};
        try {
            outbound.forEachFlushedMessage(message -> {
                if (message instanceof ByteBuf buffer) {
                    unsent[0] += buffer.readableBytes();
                }
                return true;
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return unsent[0];
    }

    private static void complete(CompletableFuture<Void> future, Throwable failure) {
        if (failure == null) {
            future.complete(null);
        } else {
            future.completeExceptionally(failure);
        }
    }

    /**
     * {@code length} bytes in 32 KiB buffers then one of {@code lastBuffer} bytes, as fast as demanded;
     * fails at {@code failAt} when that is >= 0.
     */
    private final class Generated implements ReadStream<Buffer> {
        private final long length;
        private final int lastBuffer;
        private final long failAt;
        private long produced;
        private boolean paused;
        private boolean scheduled;
        private boolean done;
        private Handler<Buffer> handler;
        /* whether the consumer unset its handler (how a storage read is cancelled) */
        boolean unset;
        private Handler<Void> endHandler;
        private Handler<Throwable> exceptionHandler;

        Generated(long length, int lastBuffer, long failAt) {
            this.length = length;
            this.lastBuffer = lastBuffer;
            this.failAt = failAt;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            this.handler = handler;
            unset = handler == null;
            schedule();
            return this;
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            this.exceptionHandler = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            this.endHandler = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            paused = true;
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            paused = false;
            schedule();
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return resume();
        }

        private void schedule() {
            if (!scheduled) {
                scheduled = true;
                vertx.runOnContext(v -> emit());
            }
        }

        /* a few buffers per event-loop turn, like a storage client delivering network reads */
        private void emit() {
            scheduled = false;
            for (int i = 0; i < 4 && !done && !paused && handler != null; i++) {
                if (failAt >= 0 && produced >= failAt) {
                    Handler<Throwable> h = exceptionHandler;
                    done = true;
                    if (h != null) {
                        h.handle(new IllegalStateException("storage failed"));
                    }
                    return;
                }
                int n = (int) (length - produced <= lastBuffer ? length - produced : Math.min(32 * KIB,
                        length - produced - lastBuffer));
                produced += n;
                handler.handle(Buffer.buffer(new byte[n]));
                if (produced == length) {
                    // the end follows the last buffer at once, paused or not (as the S3 object stream does)
                    Handler<Void> h = endHandler;
                    done = true;
                    if (h != null) {
                        h.handle(null);
                    }
                    return;
                }
            }
            if (!done && !paused && handler != null) {
                schedule();
            }
        }
    }
}
