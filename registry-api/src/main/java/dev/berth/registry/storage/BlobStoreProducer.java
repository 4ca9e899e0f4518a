package dev.berth.registry.storage;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.BlobStores;
import dev.berth.registry.config.RegistryConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

/** Chooses the storage driver from {@code registry.storage.type} (registry-core's BlobStores, as gc-worker does). */
@ApplicationScoped
public class BlobStoreProducer {
    private static final Logger LOG = Logger.getLogger(BlobStoreProducer.class);

    @Produces
    @ApplicationScoped
    BlobStore blobStore(RegistryConfig config, Vertx vertx) {
        if (dev.berth.core.digest.ResumableDigester.fastSha256()) {
            LOG.info("Upload digests: JDK SHA-256 (hardware-accelerated where the CPU has SHA instructions)");
        } else {
            LOG.warn("Upload digests: portable SHA-256 (this JDK's internals are not the expected ones), "
                    + "several times slower than the JDK's own");
        }
        return BlobStores.open(vertx, config.storage());
    }

    void close(@Disposes BlobStore store) throws Exception {
        BlobStores.close(store);
    }
}
