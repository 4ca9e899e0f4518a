package dev.berth.core.storage;

import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code registry.storage.*}: where blobs live, the same settings for every service that opens the store
 * (registry-api, gc-worker). A service declares its own mapping that extends this interface (registry-api's
 * {@code RegistryConfig.storage()}, gc-worker's {@code @ConfigMapping(prefix = "registry.storage") StorageConfig}),
 * so the mapping annotation stays in the service and registry-core needs no Quarkus bean index.
 * {@link BlobStores#open} builds the driver from it. Defaults are documented in docs/configuration.md.
 */
public interface StorageMapping {

    /** {@code filesystem} (embedded default) or {@code s3} (any S3-compatible server). */
    @WithDefault("filesystem")
    String type();

    /**
     * Answer a blob {@code GET} without {@code Range} with {@code 307} to a pre-signed URL of the object,
     * when the driver has one ({@code s3}), so that clients fetch the bytes from storage directly.
     */
    @WithDefault("false")
    boolean redirect();

    Filesystem filesystem();

    S3 s3();

    interface Filesystem {
        /** Folder holding {@code blobs/} and {@code uploads/}. */
        @WithDefault("data/storage")
        Path root();

        /** Below this much free space the readiness check fails (bytes). */
        @WithDefault("268435456")
        long minFreeBytes();
    }

    interface S3 {
        /** URL of the S3 API, such as {@code http://minio:9000}; unset for AWS's endpoint of the region. */
        Optional<URI> endpoint();

        /** Signing region (and the bucket's region when it is created). */
        @WithDefault("us-east-1")
        String region();

        /** The bucket holding blobs and upload tails; required with {@code type=s3}. */
        Optional<String> bucket();

        /** Static credentials; unset (with the secret key) for the AWS SDK's default credential chain. */
        Optional<String> accessKey();

        Optional<String> secretKey();

        /** Path-style URLs ({@code http://host/bucket/key}), which most S3-compatible servers need. */
        @WithDefault("true")
        boolean pathStyle();

        /**
         * Size of every multipart part but the last (bytes, at least 5 MiB): the most one upload request
         * holds in memory; a blob has at most 10000 parts.
         */
        @WithDefault("8388608")
        long partSize();

        /** Create the bucket on first use when it does not exist. */
        @WithDefault("false")
        boolean createBucket();
    }
}
