package dev.berth.gc.health;

import dev.berth.core.storage.BlobStore;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: the worker can work when it reaches the registry's database (gc schema migrated) and
 * its storage (when a store is configured: the BlobStore bean). Both are asked without blocking.
 */
public final class ReadinessChecks {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private ReadinessChecks() {
    }

    @Readiness
    @ApplicationScoped
    public static class Database implements AsyncHealthCheck {
        private final Pool pool;

        public Database(Pool pool) {
            this.pool = pool;
        }

        @Override
        public Uni<HealthCheckResponse> call() {
            return pool.query("select count(*) from gc.run where state = 'running'").execute()
                    .ifNoItem().after(TIMEOUT).fail()
                    .map(rows -> HealthCheckResponse.named("database").up()
                            .withData("activeRuns", rows.iterator().next().getLong(0)).build())
                    .onFailure().recoverWithItem(e -> HealthCheckResponse.named("database").down()
                            .withData("error", String.valueOf(e.getMessage())).build());
        }
    }

    @Readiness
    @ApplicationScoped
    public static class Storage implements AsyncHealthCheck {
        private final Instance<BlobStore> store;

        public Storage(Instance<BlobStore> store) {
            this.store = store;
        }

        @Override
        public Uni<HealthCheckResponse> call() {
            if (!store.isResolvable()) {
                return Uni.createFrom().item(HealthCheckResponse.named("storage").up()
                        .withData("detail", "no store configured").build());
            }
            return Uni.createFrom().completionStage(() -> store.get().health().toCompletionStage())
                    .ifNoItem().after(TIMEOUT).fail()
                    .map(h -> HealthCheckResponse.named("storage").status(h.up()).withData("detail",
                            String.valueOf(h.detail())).build())
                    .onFailure().recoverWithItem(e -> HealthCheckResponse.named("storage").down()
                            .withData("error", String.valueOf(e.getMessage())).build());
        }
    }
}
