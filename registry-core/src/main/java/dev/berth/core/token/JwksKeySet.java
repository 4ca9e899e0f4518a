package dev.berth.core.token;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.security.PublicKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.lang.JoseException;

/**
 * token-service's public keys by {@code kid}, fetched from its JWKS with the non-blocking Vert.x client (never
 * on a blocking client: lookups happen on the event loop) and cached for {@code cacheTtl}. An unknown {@code kid}
 * triggers a fetch (at most one per {@code minRefreshInterval}, a guard against floods of made-up kids;
 * concurrent lookups share one fetch), so a key rotation is picked up at its first token.
 */
public final class JwksKeySet {
    private static final System.Logger LOG = System.getLogger(JwksKeySet.class.getName());

    /**
     * @param url                 token-service's JWKS
     * @param cacheTtl            the JWKS is fetched again after this long
     * @param minRefreshInterval  at most one fetch per this interval for unknown kids
     * @param trustCertificates   PEM files of the CAs trusted over https (empty: the JVM's trust store); the host
     *                            name is always verified
     */
    public record Settings(String url, Duration cacheTtl, Duration minRefreshInterval, List<String> trustCertificates) {
        public Settings {
            trustCertificates = trustCertificates == null ? List.of() : List.copyOf(trustCertificates);
        }
    }

    private final Settings settings;
    private final Vertx vertx;
    private final long ttlNanos;
    private final long minRefreshNanos;
    private volatile HttpClient client;
    private volatile Map<String, PublicKey> keys = Map.of();
    private volatile long fetchedAt;
    private volatile long lastAttempt;
    private CompletableFuture<Map<String, PublicKey>> inFlight;
    private Context ownContext;
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

    public JwksKeySet(Vertx vertx, Settings settings) {
        this.vertx = vertx;
        this.settings = settings;
        this.ttlNanos = settings.cacheTtl().toNanos();
        this.minRefreshNanos = settings.minRefreshInterval().toNanos();
    }

    public String url() {
        return settings.url();
    }

    /** Calls {@code listener} after each fetch that dropped a kid or bound it to another key, with those kids. */
    public void onKeysWithdrawn(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /** The key for {@code kid} when the JWKS is fresh and holds it; null otherwise (then use {@link #key}). No I/O. */
    public PublicKey freshKey(String kid) {
        if (fetchedAt == 0 || System.nanoTime() - fetchedAt > ttlNanos) {
            return null;
        }
        return keys.get(kid);
    }

    /**
     * The key for {@code kid}, fetching the JWKS first when needed; completes with null when token-service has no
     * such key. Never fails: when the fetch fails, the key known before (if any) is used and a warning logged.
     */
    public CompletionStage<PublicKey> key(String kid) {
        long now = System.nanoTime();
        boolean stale = fetchedAt == 0 || now - fetchedAt > ttlNanos;
        PublicKey known = keys.get(kid);
        if (known != null && !stale) {
            return CompletableFuture.completedFuture(known);
        }
        if (!stale && now - lastAttempt <= minRefreshNanos) {
            return CompletableFuture.completedFuture(known);
        }
        return refresh().handle((fresh, failure) -> {
            if (failure != null) {
                LOG.log(System.Logger.Level.WARNING, "cannot fetch the JWKS at {0}: {1}", settings.url(),
                        failure.getMessage());
                return known;
            }
            return fresh.get(kid);
        });
    }

    private synchronized CompletableFuture<Map<String, PublicKey>> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        lastAttempt = System.nanoTime();
        CompletableFuture<Map<String, PublicKey>> future = new CompletableFuture<>();
        inFlight = future;
        URI uri = URI.create(settings.url());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(uri.getHost())
                .setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80).setSsl(tls)
                .setURI(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
                .setTimeout(10_000);
        Context current = Vertx.currentContext();
        if (current != null) {
            fetch(options, future);
        } else {
            // off any Vert.x thread (a test, a start-up check): the exchange runs on one context of its own, since
            // a pooled connection answering on another context's event loop can lose the body before it is read
            callerlessContext().runOnContext(v -> fetch(options, future));
        }
        return future;
    }

    private synchronized Context callerlessContext() {
        if (ownContext == null) {
            ownContext = vertx.getOrCreateContext();
        }
        return ownContext;
    }

    private void fetch(RequestOptions options, CompletableFuture<Map<String, PublicKey>> future) {
        httpClient().request(options)
                .compose(request -> request.send())
                .compose(response -> response.statusCode() == 200 ? response.body()
                        : Future.failedFuture("status " + response.statusCode()))
                .onComplete(result -> {
                    synchronized (JwksKeySet.this) {
                        inFlight = null;
                    }
                    if (result.failed()) {
                        future.completeExceptionally(result.cause());
                        return;
                    }
                    try {
                        future.complete(replaceKeys(parse(result.result().toString())));
                    } catch (JoseException | RuntimeException e) {
                        future.completeExceptionally(e);
                    }
                });
    }

    /** The public keys of a JWKS document by kid: a symmetric ("oct") key in the set must never verify anything. */
    static Map<String, PublicKey> parse(String json) throws JoseException {
        Map<String, PublicKey> parsed = new HashMap<>();
        for (JsonWebKey jwk : new JsonWebKeySet(json).getJsonWebKeys()) {
            if (jwk instanceof PublicJsonWebKey pub && jwk.getKeyId() != null && pub.getPublicKey() != null) {
                parsed.put(jwk.getKeyId(), pub.getPublicKey());
            }
        }
        return parsed;
    }

    private Map<String, PublicKey> replaceKeys(Map<String, PublicKey> parsed) {
        Map<String, PublicKey> before = keys;
        keys = Map.copyOf(parsed);
        Set<String> withdrawn = new HashSet<>();
        before.forEach((kid, old) -> {
            if (!old.equals(parsed.get(kid))) {
                withdrawn.add(kid);
            }
        });
        if (!withdrawn.isEmpty()) {
            LOG.log(System.Logger.Level.INFO,
                    "JWKS of {0} no longer holds the keys {1} as before: tokens signed with them are refused",
                    settings.url(), withdrawn);
            for (Consumer<Set<String>> listener : listeners) {
                listener.accept(Set.copyOf(withdrawn));
            }
        }
        fetchedAt = System.nanoTime();
        LOG.log(System.Logger.Level.DEBUG, "JWKS of {0}: {1}", settings.url(), parsed.keySet());
        return keys;
    }

    private HttpClient httpClient() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = vertx.createHttpClient(clientOptions(settings.trustCertificates()));
                }
                c = client;
            }
        }
        return c;
    }

    static HttpClientOptions clientOptions(List<String> trustCertificates) {
        HttpClientOptions options = new HttpClientOptions().setConnectTimeout(5_000).setVerifyHost(true);
        if (!trustCertificates.isEmpty()) {
            PemTrustOptions trust = new PemTrustOptions();
            trustCertificates.forEach(trust::addCertPath);
            options.setTrustOptions(trust);
        }
        return options;
    }
}
