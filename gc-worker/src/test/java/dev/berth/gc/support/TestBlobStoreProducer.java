package dev.berth.gc.support;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import dev.berth.core.storage.s3.S3BlobStore;
import dev.berth.core.storage.s3.S3Settings;
import io.quarkus.arc.DefaultBean;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.net.URI;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The store of the tests from the {@code registry.storage.*} settings (filesystem, or S3 from S3TestResource), until
 * the service has its own producer: a default bean, so the service's producer replaces it once it exists.
 */
@ApplicationScoped
public class TestBlobStoreProducer {

    @Produces
    @DefaultBean
    @ApplicationScoped
    BlobStore blobStore(Vertx vertx,
            @ConfigProperty(name = "registry.storage.type", defaultValue = "filesystem") String type,
            @ConfigProperty(name = "registry.storage.filesystem.root", defaultValue = "target/test-storage") Path root,
            @ConfigProperty(name = "registry.storage.s3.endpoint", defaultValue = "http://127.0.0.1:1") URI endpoint,
            @ConfigProperty(name = "registry.storage.s3.region", defaultValue = "us-east-1") String region,
            @ConfigProperty(name = "registry.storage.s3.bucket", defaultValue = "none") String bucket,
            @ConfigProperty(name = "registry.storage.s3.access-key", defaultValue = "none") String accessKey,
            @ConfigProperty(name = "registry.storage.s3.secret-key", defaultValue = "none") String secretKey) {
        if ("s3".equals(type)) {
            return new S3BlobStore(vertx, new S3Settings(endpoint, region, bucket, accessKey, secretKey, true,
                    S3Settings.MIN_PART_SIZE, true, null));
        }
        return new FilesystemBlobStore(vertx, root, 0);
    }

    void close(@Disposes BlobStore store) throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
