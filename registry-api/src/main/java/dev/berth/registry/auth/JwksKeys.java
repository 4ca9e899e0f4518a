package dev.berth.registry.auth;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.context.ApplicationScoped;
import io.smallrye.jwt.util.KeyUtils;
import java.security.Key;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * token-service's public keys by {@code kid}, fetched from its JWKS with the non-blocking Vert.x client and
 * cached. An unknown {@code kid} triggers a fetch (at most one per {@code registry.auth.jwks-min-refresh-interval};
 * concurrent requests share it), so a key rotation is picked up at its first token. The JWKS is parsed by
 * SmallRye JWT ({@link KeyUtils#loadJsonWebKeys}); SmallRye's own JWKS fetch is not used, because it blocks.
 */
@ApplicationScoped
public class JwksKeys {
    private static final Logger LOG = Logger.getLogger(JwksKeys.class);

    private final AuthConfig config;
    private final Vertx vertx;
    private volatile HttpClient client;
    private volatile Map<String, PublicKey> keys = Map.of();
    private volatile long fetchedAt;
    private volatile long lastAttempt;
    private CompletableFuture<Map<String, PublicKey>> inFlight;
    /** Told the kids that a refresh removed or bound to another key (the verified-token cache forgets them). */
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

    public JwksKeys(AuthConfig config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
    }

    /** Calls {@code listener} after each JWKS fetch that dropped a kid or changed its key, with those kids. */
    public void onKeysWithdrawn(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /** The key for {@code kid} when the JWKS is fresh and holds it; null otherwise (then use {@link #key}). */
    PublicKey freshKey(String kid) {
        if (fetchedAt == 0 || System.nanoTime() - fetchedAt > config.jwksCacheTtl().toNanos()) {
            return null;
        }
        return keys.get(kid);
    }

    /** The key for {@code kid}, fetching the JWKS first when needed; null when token-service has no such key. */
    public Uni<PublicKey> key(String kid) {
        long now = System.nanoTime();
        boolean stale = fetchedAt == 0 || now - fetchedAt > config.jwksCacheTtl().toNanos();
        PublicKey known = keys.get(kid);
        if (known != null && !stale) {
            return Uni.createFrom().item(known);
        }
        boolean mayRefresh = stale || now - lastAttempt > config.jwksMinRefreshInterval().toNanos();
        if (!mayRefresh) {
            return Uni.createFrom().item(known);
        }
        return Uni.createFrom().completionStage(this::refresh)
                .map(fresh -> fresh.get(kid))
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("cannot fetch the JWKS at %s: %s", config.effectiveJwksUrl(), failure.getMessage());
                    return known;
                });
    }

    private synchronized CompletableFuture<Map<String, PublicKey>> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        lastAttempt = System.nanoTime();
        CompletableFuture<Map<String, PublicKey>> future = new CompletableFuture<>();
        inFlight = future;
        java.net.URI uri = java.net.URI.create(config.effectiveJwksUrl());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(uri.getHost())
                .setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80).setSsl(tls)
                .setURI(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
                .setTimeout(10_000);
        httpClient().request(options)
                .compose(request -> request.send())
                .compose(response -> {
                    if (response.statusCode() != 200) {
                        return io.vertx.core.Future.failedFuture("status " + response.statusCode());
                    }
                    return response.body();
                })
                .onComplete(result -> {
                    synchronized (JwksKeys.this) {
                        inFlight = null;
                    }
                    if (result.failed()) {
                        future.completeExceptionally(result.cause());
                        return;
                    }
                    try {
                        var jwks = KeyUtils.loadJsonWebKeys(result.result().toString());
                        if (jwks == null) {
                            throw new IllegalArgumentException("not a JWKS");
                        }
                        Map<String, PublicKey> parsed = new HashMap<>();
                        for (var jwk : jwks) {
                            // public keys only: a symmetric ("oct") key in the set must never verify anything
                            Key key = jwk.getKey();
                            if (key instanceof PublicKey pub && jwk.getKeyId() != null) {
                                parsed.put(jwk.getKeyId(), pub);
                            }
                        }
                        Map<String, PublicKey> before = keys;
                        keys = Map.copyOf(parsed);
                        Set<String> withdrawn = new HashSet<>();
                        before.forEach((kid, old) -> {
                            if (!old.equals(parsed.get(kid))) {
                                withdrawn.add(kid);
                            }
                        });
                        if (!withdrawn.isEmpty()) {
                            LOG.infof("JWKS of %s no longer holds the keys %s as before: tokens signed with them are refused",
                                    config.effectiveJwksUrl(), withdrawn);
                            for (Consumer<Set<String>> listener : listeners) {
                                listener.accept(Set.copyOf(withdrawn));
                            }
                        }
                        fetchedAt = System.nanoTime();
                        LOG.debugf("JWKS of %s: %s", config.effectiveJwksUrl(), parsed.keySet());
                        future.complete(keys);
                    } catch (RuntimeException e) {
                        future.completeExceptionally(e);
                    }
                });
        return future;
    }

    private HttpClient httpClient() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = vertx.createHttpClient(JwksClientOptions.of(config));
                }
                c = client;
            }
        }
        return c;
    }
}
