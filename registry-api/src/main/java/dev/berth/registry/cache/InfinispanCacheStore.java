package dev.berth.registry.cache;

import dev.berth.registry.config.RegistryConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.infinispan.client.hotrod.RemoteCache;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.infinispan.commons.configuration.StringConfiguration;
import org.jboss.logging.Logger;

/**
 * {@code registry.cache.type=infinispan}: one remote cache on an Infinispan server (or cluster), shared by
 * every registry-api replica over Hot Rod.
 *
 * <p>The Hot Rod client is never needed for the registry to work. The {@link RemoteCacheManager} is taken
 * lazily from CDI and the cache is resolved (or created) on a worker thread, so registry-api starts while
 * Infinispan is down. While the cache is unreachable the store is <em>degraded</em>: {@link #available()}
 * is false, requests go straight to PostgreSQL, one warning is logged per outage, and a probe tries the
 * server again every {@code registry.cache.infinispan.retry-interval}. Invalidations that could not be
 * written are kept and written by the probe <em>before</em> the store is used again, so no replica reads
 * an entry that this one invalidated while the server was out of reach (another replica that reached the
 * server meanwhile may have served it: the entries' lifespans bound that).
 */
final class InfinispanCacheStore implements CacheStore {
    private static final Logger LOG = Logger.getLogger(InfinispanCacheStore.class);
    /** Beyond this many remembered invalidations, recovery clears the whole cache instead. */
    static final int MAX_PENDING = 100_000;
    private static final String PROBE_KEY = "berth|probe";

    /** One period of use of the remote cache; failures of an older one do not degrade a newer one. */
    private record Connection(RemoteCache<String, byte[]> cache) {
    }

    private final Instance<RemoteCacheManager> managers;
    private final Vertx vertx;
    private final RegistryConfig.Cache.Infinispan config;
    private final Duration invalidationLifespan;

    private final Object lock = new Object();
    private volatile Connection current;
    private volatile String detail = "connecting";
    private volatile boolean warnedThisOutage;
    private volatile boolean everConnected;
    private volatile boolean probeScheduled;
    private volatile boolean stopped;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean pendingOverflow;

    InfinispanCacheStore(Instance<RemoteCacheManager> managers, Vertx vertx, RegistryConfig.Cache config) {
        this.managers = managers;
        this.vertx = vertx;
        this.config = config.infinispan();
        this.invalidationLifespan = config.invalidationWindow();
    }

    @Override
    public String type() {
        return "infinispan";
    }

    @Override
    public void start() {
        scheduleProbe(Duration.ZERO);
    }

    @Override
    public void stop() {
        stopped = true;
        current = null;
    }

    @Override
    public boolean available() {
        return current != null;
    }

    @Override
    public Uni<byte[]> get(String key) {
        Connection c = current;
        if (c == null) {
            return unavailable();
        }
        return call(c, () -> c.cache().getAsync(key), null);
    }

    @Override
    public Uni<Boolean> putIfAbsent(String key, byte[] value, Duration lifespan) {
        Connection c = current;
        if (c == null) {
            return unavailable();
        }
        return call(c, () -> c.cache().putIfAbsentAsync(key, value, lifespan.toMillis(), TimeUnit.MILLISECONDS), null)
                .map(previous -> previous == null);
    }

    @Override
    public Uni<Void> invalidate(Set<String> keys, Duration lifespan) {
        if (keys.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Connection c;
        synchronized (lock) {
            c = current;
            if (c == null) {
                remember(keys);
                return Uni.createFrom().voidItem();
            }
        }
        Map<String, byte[]> tombstones = tombstones(keys);
        // remembered before the store degrades, so that the probe writes them before it reconnects
        return call(c, () -> c.cache().putAllAsync(tombstones, lifespan.toMillis(), TimeUnit.MILLISECONDS),
                () -> rememberAfterFailure(c, keys, lifespan)).replaceWithVoid();
    }

    @Override
    public State state() {
        Connection c = current;
        int waiting = pendingOverflow ? MAX_PENDING : pending.size();
        if (c != null) {
            return new State("ok", "Infinispan " + config.hosts() + ", cache " + config.cacheName(), waiting);
        }
        return new State(everConnected ? "degraded" : "connecting", detail, waiting);
    }

    private void remember(Set<String> keys) {
        synchronized (lock) {
            if (pendingOverflow) {
                return;
            }
            pending.addAll(keys);
            if (pending.size() > MAX_PENDING) {
                pendingOverflow = true;
                pending.clear();
            }
        }
    }

    /** An invalidation on {@code failed} did not go through: keep it for the probe, or hand it to a newer connection. */
    private void rememberAfterFailure(Connection failed, Set<String> keys, Duration lifespan) {
        synchronized (lock) {
            Connection now = current;
            if (now == null || now == failed) {
                remember(keys);
                return;
            }
        }
        invalidate(keys, lifespan).subscribe().with(ok -> {
        }, e -> LOG.debugf("Manifest cache: invalidation retry failed: %s", describe(e)));
    }

    private static Map<String, byte[]> tombstones(Set<String> keys) {
        byte[] tombstone = CacheEntry.tombstone();
        Map<String, byte[]> map = new HashMap<>();
        for (String key : keys) {
            map.put(key, tombstone);
        }
        return map;
    }

    private static <T> Uni<T> unavailable() {
        return Uni.createFrom().failure(new CacheUnavailableException());
    }

    /**
     * Runs one remote operation with the configured time limit; a failure degrades the store. Hot Rod
     * completes its futures on its own threads: the result is handed back on the caller's Vert.x context,
     * where Hibernate Reactive expects to continue.
     */
    private <T> Uni<T> call(Connection c, Supplier<CompletionStage<T>> operation, Runnable onFailure) {
        Context context = Vertx.currentContext();
        Uni<T> uni = Uni.createFrom().completionStage(operation)
                .ifNoItem().after(config.operationTimeout()).fail()
                .onFailure().invoke(e -> {
                    if (onFailure != null) {
                        onFailure.run();
                    }
                    degrade(c, e);
                });
        if (context != null) {
            uni = uni.emitOn(task -> context.runOnContext(v -> task.run()));
        }
        return uni;
    }

    private void degrade(Connection failed, Throwable cause) {
        synchronized (lock) {
            if (current != failed || failed == null) {
                return;
            }
            current = null;
            detail = describe(cause);
        }
        if (!warnedThisOutage) {
            warnedThisOutage = true;
            LOG.warnf("Manifest cache: Infinispan %s (cache %s) failed: %s. Serving manifests from PostgreSQL; "
                    + "trying Infinispan again every %s", config.hosts(), config.cacheName(), detail,
                    config.retryInterval());
        }
        scheduleProbe(config.retryInterval());
    }

    private void scheduleProbe(Duration delay) {
        synchronized (lock) {
            if (probeScheduled || stopped) {
                return;
            }
            probeScheduled = true;
        }
        Runnable run = () -> vertx.executeBlocking(() -> {
            probe();
            return null;
        }, false);
        if (delay.isZero()) {
            run.run();
        } else {
            vertx.setTimer(Math.max(1, delay.toMillis()), id -> run.run());
        }
    }

    /** On a worker thread: resolve the cache, check that it answers, write what was invalidated meanwhile. */
    private void probe() {
        synchronized (lock) {
            probeScheduled = false;
        }
        if (stopped || current != null) {
            return;
        }
        try {
            RemoteCache<String, byte[]> cache = resolveCache();
            cache.containsKey(PROBE_KEY);
            flushPendingAndConnect(cache);
            boolean recovered = everConnected;
            everConnected = true;
            warnedThisOutage = false;
            detail = "ok";
            if (recovered) {
                LOG.infof("Manifest cache: Infinispan %s (cache %s) answers again; using it", config.hosts(),
                        config.cacheName());
            } else {
                LOG.infof("Manifest cache: Infinispan %s, cache %s", config.hosts(), config.cacheName());
            }
        } catch (RuntimeException | Error e) {
            if (stopped) {
                return;
            }
            detail = describe(e);
            if (!warnedThisOutage) {
                warnedThisOutage = true;
                LOG.warnf("Manifest cache: Infinispan %s (cache %s) is not reachable: %s. Serving manifests from "
                        + "PostgreSQL; trying again every %s", config.hosts(), config.cacheName(), detail,
                        config.retryInterval());
            } else {
                LOG.debugf("Manifest cache: Infinispan still not reachable: %s", detail);
            }
            scheduleProbe(config.retryInterval());
        }
    }

    private RemoteCache<String, byte[]> resolveCache() {
        if (!managers.isResolvable()) {
            throw new IllegalStateException("no Hot Rod client is configured (quarkus.infinispan-client.*)");
        }
        RemoteCacheManager manager = managers.get();
        if (!manager.isStarted()) {
            manager.start();
        }
        RemoteCache<String, byte[]> cache = manager.getCache(config.cacheName());
        if (cache == null) {
            LOG.infof("Manifest cache: creating cache %s on Infinispan %s", config.cacheName(), config.hosts());
            cache = manager.administration().getOrCreateCache(config.cacheName(),
                    new StringConfiguration(config.cacheConfiguration()));
        }
        return cache;
    }

    /**
     * Writes the remembered invalidations, then makes the cache current. Invalidations that arrive while
     * this runs are remembered too (the store is still unavailable), so the loop writes until none is left
     * and switches over under the lock that {@link #invalidate} takes.
     */
    private void flushPendingAndConnect(RemoteCache<String, byte[]> cache) {
        long lifespan = invalidationLifespan.toMillis();
        for (int round = 0; round < 100; round++) {
            boolean clear;
            List<String> keys;
            synchronized (lock) {
                clear = pendingOverflow;
                keys = new ArrayList<>(pending);
                if (!clear && keys.isEmpty()) {
                    current = new Connection(cache);
                    return;
                }
                pendingOverflow = false;
                pending.removeAll(keys);
            }
            try {
                if (clear) {
                    LOG.warnf("Manifest cache: more than %d invalidations were missed while Infinispan was out of "
                            + "reach; clearing cache %s", MAX_PENDING, config.cacheName());
                    cache.clear();
                } else {
                    for (int from = 0; from < keys.size(); from += 1000) {
                        Set<String> batch = Set.copyOf(keys.subList(from, Math.min(keys.size(), from + 1000)));
                        cache.putAll(tombstones(batch), lifespan, TimeUnit.MILLISECONDS);
                    }
                    LOG.infof("Manifest cache: wrote %d invalidations missed while Infinispan was out of reach",
                            keys.size());
                }
            } catch (RuntimeException e) {
                synchronized (lock) {
                    if (clear) {
                        pendingOverflow = true;
                    } else if (!pendingOverflow) {
                        pending.addAll(keys);
                    }
                }
                throw e;
            }
        }
        throw new IllegalStateException("invalidations keep arriving faster than they can be written");
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root
                && (root.getMessage() == null || root instanceof java.util.concurrent.CompletionException)) {
            root = root.getCause();
        }
        String message = root.getMessage();
        if (root instanceof io.smallrye.mutiny.TimeoutException) {
            message = "no answer within the operation timeout";
        }
        return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** The store cannot be used right now (it is degraded or still connecting). */
    static final class CacheUnavailableException extends RuntimeException {
        CacheUnavailableException() {
            super("manifest cache unavailable", null, false, false);
        }
    }
}
