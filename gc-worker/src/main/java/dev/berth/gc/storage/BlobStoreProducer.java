package dev.berth.gc.storage;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.BlobStores;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** The registry's store, opened from {@code registry.storage.*} like registry-api opens it. */
@ApplicationScoped
public class BlobStoreProducer {

    @Produces
    @ApplicationScoped
    BlobStore blobStore(StorageConfig config, Vertx vertx) {
        return BlobStores.open(vertx, config);
    }

    void close(@Disposes BlobStore store) throws Exception {
        BlobStores.close(store);
    }
}
