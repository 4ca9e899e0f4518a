package dev.berth.it.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Plain HTTP/1.1 with java.net.http, plus failure messages that show the exchange. */
public final class Http {

    private static final HttpClient CLIENT = newClient();

    private Http() {
    }

    public static HttpClient newClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static HttpClient client() {
        return CLIENT;
    }

    /**
     * An HTTPS client that trusts only the CA in a PEM file (for example deploy/local/make-certs' ca.crt) and verifies
     * the host name as usual.
     */
    public static HttpClient trusting(java.nio.file.Path caPem) {
        try (var in = java.nio.file.Files.newInputStream(caPem)) {
            var ca = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            var store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var tls = javax.net.ssl.SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NEVER).sslContext(tls).build();
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new AssertionError("cannot trust " + caPem + ": " + e, e);
        }
    }

    public static HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + request.method() + " " + request.uri(), e);
        }
    }

    public static HttpResponse<byte[]> get(URI uri, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).GET();
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return send(builder.build());
    }

    /** One GET that never throws: the status, or -1 when nothing answered (for readiness polls). */
    public static int statusOrMinusOne(URI uri) {
        return statusOrMinusOne(CLIENT, uri);
    }

    public static int statusOrMinusOne(HttpClient client, URI uri) {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The request and the response (status, headers, start of the body) for an assertion message. */
    public static String describe(HttpRequest request, HttpResponse<byte[]> response, String requestBodyNote) {
        StringBuilder text = new StringBuilder();
        text.append("\n>>> ").append(request.method()).append(' ').append(request.uri());
        request.headers().map().forEach((k, v) -> text.append("\n>>> ").append(k).append(": ").append(String.join(", ", v)));
        if (requestBodyNote != null) {
            text.append("\n>>> (body: ").append(requestBodyNote).append(')');
        }
        if (response == null) {
            return text.append("\n<<< (no response)").toString();
        }
        text.append("\n<<< ").append(response.statusCode());
        response.headers().map().forEach((k, v) -> text.append("\n<<< ").append(k).append(": ").append(String.join(", ", v)));
        byte[] body = response.body();
        if (body != null && body.length > 0) {
            boolean printable = body.length <= 4096;
            text.append("\n<<< body (").append(body.length).append(" bytes)");
            if (printable) {
                text.append(": ").append(new String(body, StandardCharsets.UTF_8));
            }
        }
        return text.toString();
    }

    public static String headerLines(Map<String, List<String>> headers) {
        return headers.entrySet().stream().map(e -> e.getKey() + ": " + String.join(", ", e.getValue()))
                .collect(Collectors.joining("\n"));
    }
}
