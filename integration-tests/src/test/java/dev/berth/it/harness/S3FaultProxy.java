package dev.berth.it.harness;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 server that can be told to refuse writes: while
 * {@link #refuseWrites(int)} is in force, every {@code PUT} and {@code POST} (objects, parts, multipart
 * initiate/complete) is answered with that status and an S3 XML error, and never reaches the server; reads,
 * {@code HEAD}s and {@code DELETE}s pass through untouched.
 *
 * <p>It forwards bytes as they are: the request keeps its {@code Host} header, so SigV4 signatures still
 * verify at the server. Each connection carries one request ({@code Connection: close} is added to the
 * head, which the SDK does not sign), so the proxy only needs to read request heads, never to frame bodies.
 */
public final class S3FaultProxy implements AutoCloseable {
    private static final int MAX_HEAD = 64 * 1024;

    private final ServerSocket server;
    private final int targetPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "s3-fault-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private volatile int refusal;
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean closed;

    private S3FaultProxy(ServerSocket server, int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
    }

    /** A pass-through proxy to the S3 server on 127.0.0.1:{@code targetPort}. */
    public static S3FaultProxy start(int targetPort) {
        try {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            S3FaultProxy proxy = new S3FaultProxy(server, targetPort);
            proxy.threads.execute(proxy::accept);
            return proxy;
        } catch (IOException e) {
            throw new AssertionError("cannot start the S3 fault proxy: " + e, e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    /** From now on writes are answered {@code status} (500 or 503) without reaching S3. */
    public void refuseWrites(int status) {
        refusal = status;
    }

    /** Writes pass through again. */
    public void allowWrites() {
        refusal = 0;
    }

    /** How many writes were refused since the proxy started. */
    public int refused() {
        return refused.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                if (!closed) {
                    System.out.println("[berth-it] S3 fault proxy: accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            byte[] head = readHead(in);
            if (head == null) {
                return;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String method = text.substring(0, Math.max(0, text.indexOf(' '))).toUpperCase(Locale.ROOT);
            int status = refusal;
            if (status != 0 && (method.equals("PUT") || method.equals("POST"))) {
                refuse(client, in, text, status);
                return;
            }
            try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
                OutputStream toServer = upstream.getOutputStream();
                toServer.write(withConnectionClose(text).getBytes(StandardCharsets.ISO_8859_1));
                toServer.flush();
                // the rest of the request (its body) one way, the response the other, until both are done
                var body = threads.submit(() -> {
                    pump(in, toServer);
                    upstream.shutdownOutput();
                    return null;
                });
                pump(upstream.getInputStream(), client.getOutputStream());
                body.cancel(true);
            }
        } catch (IOException e) {
            // a side hung up: the other sees its connection end, as it would without the proxy
        }
    }

    private void refuse(Socket client, InputStream in, String head, int status) throws IOException {
        refused.incrementAndGet();
        String code = status == 503 ? "ServiceUnavailable" : "InternalError";
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>writes refused by the test's fault proxy</Message></Error>")
                .getBytes(StandardCharsets.UTF_8);
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 " + status + (status == 503 ? " Service Unavailable" : " Internal Server Error") + "\r\n"
                + "Content-Type: application/xml\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        // read what the client already sent of its body, so that closing does not reset the answer away
        long length = contentLength(head);
        if (length > 0 && !head.toLowerCase(Locale.ROOT).contains("\r\nexpect: 100-continue")) {
            client.setSoTimeout(5_000);
            in.skipNBytes(Math.min(length, 64L * 1024 * 1024));
        }
        client.shutdownOutput();
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                try {
                    return Long.parseLong(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static String withConnectionClose(String head) {
        StringBuilder out = new StringBuilder();
        for (String line : head.substring(0, head.length() - 4).split("\r\n")) {
            if (!line.regionMatches(true, 0, "Connection:", 0, 11)) {
                out.append(line).append("\r\n");
            }
        }
        return out.append("Connection: close\r\n\r\n").toString();
    }

    /** The request line and headers up to the blank line, or null when the client closed first. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (head.size() < MAX_HEAD) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            last4 = last4 << 8 | b;
            if (last4 == 0x0d0a0d0a) {
                return head.toByteArray();
            }
        }
        throw new IOException("request head larger than " + MAX_HEAD + " bytes");
    }

    private static void pump(InputStream from, OutputStream to) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = from.read(buffer)) >= 0) {
            to.write(buffer, 0, n);
            to.flush();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        threads.shutdownNow();
    }
}
