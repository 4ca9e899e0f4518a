package dev.berth.registry.health;

import dev.berth.registry.cache.CacheStore;
import dev.berth.registry.cache.ManifestCache;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The manifest cache in the readiness report. Always UP: the registry serves from PostgreSQL and storage
 * without the cache, so a degraded cache must not take a replica out of its load balancer. The data says
 * how it stands: {@code state} is {@code ok}, {@code degraded} (Infinispan unreachable, requests bypass
 * it), {@code connecting} (not reached yet since start-up) or {@code disabled}.
 */
@Readiness
@ApplicationScoped
public class ManifestCacheHealthCheck implements HealthCheck {
    private final ManifestCache cache;

    public ManifestCacheHealthCheck(ManifestCache cache) {
        this.cache = cache;
    }

    @Override
    public HealthCheckResponse call() {
        CacheStore.State state = cache.state();
        return HealthCheckResponse.named("manifest-cache").up()
                .withData("type", cache.type())
                .withData("state", state.name())
                .withData("detail", state.detail())
                .withData("pendingInvalidations", state.pendingInvalidations())
                .build();
    }
}
