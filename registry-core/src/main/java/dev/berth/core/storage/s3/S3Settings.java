package dev.berth.core.storage.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the bucket and how to cut uploads into parts.
 *
 * @param endpoint     the S3 endpoint, or {@code null} for AWS's own endpoint of {@code region}
 * @param region       signing region (any value for most S3-compatible servers)
 * @param bucket       the bucket holding blobs and upload tails
 * @param accessKey    static credentials; both {@code null} to use the AWS SDK's default chain
 * @param secretKey    see {@code accessKey}
 * @param pathStyle    {@code http://host/bucket/key} rather than {@code http://bucket.host/key}
 * @param partSize     size of every multipart part but the last (at least 5 MiB); one part is the most a
 *                     request buffers in memory
 * @param createBucket create the bucket on first use when it is missing
 * @param presignTtl   validity of pre-signed GET URLs for redirected pulls
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey,
        boolean pathStyle, long partSize, boolean createBucket, Duration presignTtl) {

    /** The S3 minimum for every part but the last. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    /** Parts are buffered in a byte array. */
    public static final long MAX_PART_SIZE = 1L << 30;
    public static final long DEFAULT_PART_SIZE = 8L * 1024 * 1024;
    public static final Duration DEFAULT_PRESIGN_TTL = Duration.ofMinutes(15);

    public S3Settings {
        Objects.requireNonNull(region, "region");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("the S3 bucket is required (registry.storage.s3.bucket)");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("give both the S3 access key and the secret key, or neither");
        }
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("the S3 part size must be between " + MIN_PART_SIZE + " and "
                    + MAX_PART_SIZE + " bytes, not " + partSize);
        }
        presignTtl = presignTtl == null ? DEFAULT_PRESIGN_TTL : presignTtl;
    }
}
