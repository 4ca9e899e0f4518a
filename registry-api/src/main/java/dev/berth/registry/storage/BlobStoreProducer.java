package dev.berth.registry.storage;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import dev.berth.core.storage.s3.S3BlobStore;
import dev.berth.core.storage.s3.S3Settings;
import dev.berth.registry.config.RegistryConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import org.jboss.logging.Logger;

/** Chooses the storage driver from {@code registry.storage.type}. */
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
        String type = config.storage().type();
        if ("filesystem".equals(type)) {
            RegistryConfig.Storage.Filesystem fs = config.storage().filesystem();
            FilesystemBlobStore store = new FilesystemBlobStore(vertx, fs.root(), fs.minFreeBytes());
            LOG.infof("Storage: filesystem at %s", store.root());
            return store;
        }
        if ("s3".equals(type)) {
            RegistryConfig.Storage.S3 s3 = config.storage().s3();
            S3Settings settings = new S3Settings(s3.endpoint().orElse(null), s3.region(),
                    s3.bucket().orElseThrow(() -> new IllegalStateException(
                            "registry.storage.s3.bucket is required with registry.storage.type=s3")),
                    s3.accessKey().orElse(null), s3.secretKey().orElse(null), s3.pathStyle(), s3.partSize(),
                    s3.createBucket(), null);
            LOG.infof("Storage: s3 bucket %s at %s (part size %d bytes, redirects %s)", settings.bucket(),
                    settings.endpoint() != null ? settings.endpoint() : "AWS " + settings.region(), settings.partSize(),
                    config.storage().redirect() ? "on" : "off");
            return new S3BlobStore(vertx, settings);
        }
        throw new IllegalStateException("registry.storage.type=" + type + " is not supported; use 'filesystem' or 's3'");
    }

    void close(@Disposes BlobStore store) throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
