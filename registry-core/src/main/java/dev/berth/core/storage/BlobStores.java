package dev.berth.core.storage;

import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import dev.berth.core.storage.s3.S3BlobStore;
import dev.berth.core.storage.s3.S3Settings;
import io.vertx.core.Vertx;

/** Opens the store that {@link StorageMapping} names: the one way every service chooses its storage driver. */
public final class BlobStores {
    private static final System.Logger LOG = System.getLogger(BlobStores.class.getName());

    private BlobStores() {
    }

    /**
     * The driver of {@code storage.type()}, ready to use; close it (when {@link AutoCloseable}) at shutdown.
     *
     * @throws IllegalStateException for an unknown type or an S3 store without a bucket
     */
    public static BlobStore open(Vertx vertx, StorageMapping storage) {
        String type = storage.type();
        if ("filesystem".equals(type)) {
            StorageMapping.Filesystem fs = storage.filesystem();
            FilesystemBlobStore store = new FilesystemBlobStore(vertx, fs.root(), fs.minFreeBytes());
            LOG.log(System.Logger.Level.INFO, "Storage: filesystem at {0}", store.root());
            return store;
        }
        if ("s3".equals(type)) {
            StorageMapping.S3 s3 = storage.s3();
            S3Settings settings = new S3Settings(s3.endpoint().orElse(null), s3.region(),
                    s3.bucket().orElseThrow(() -> new IllegalStateException(
                            "registry.storage.s3.bucket is required with registry.storage.type=s3")),
                    s3.accessKey().orElse(null), s3.secretKey().orElse(null), s3.pathStyle(), s3.partSize(),
                    s3.createBucket(), null);
            LOG.log(System.Logger.Level.INFO, "Storage: s3 bucket {0} at {1} (part size {2} bytes, redirects {3})",
                    settings.bucket(), settings.endpoint() != null ? settings.endpoint() : "AWS " + settings.region(),
                    String.valueOf(settings.partSize()), storage.redirect() ? "on" : "off");
            return new S3BlobStore(vertx, settings);
        }
        throw new IllegalStateException("registry.storage.type=" + type + " is not supported; use 'filesystem' or 's3'");
    }

    /** Closes {@code store} when its driver holds resources (the S3 client); for a CDI disposer. */
    public static void close(BlobStore store) throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
