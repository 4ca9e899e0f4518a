package dev.berth.registry.health;

import dev.berth.core.storage.BlobStore;
import dev.berth.registry.http.Responses;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness includes the storage, with the reason when down: free space for the filesystem driver, the
 * bucket answering {@code HeadBucket} for S3.
 */
@Readiness
@ApplicationScoped
public class StorageHealthCheck implements AsyncHealthCheck {
    private final BlobStore store;

    public StorageHealthCheck(BlobStore store) {
        this.store = store;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return Responses.uni(store.health()).map(h -> HealthCheckResponse.named("storage")
                .status(h.up()).withData("type", store.type()).withData("detail", h.detail()).build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("storage").down()
                        .withData("type", store.type()).withData("detail", String.valueOf(e.getMessage())).build());
    }
}
