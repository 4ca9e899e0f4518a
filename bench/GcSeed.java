import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;

/**
 * bench/gc helper: writes the garbage the benchmark sweeps, and counts what is left. The rows come from SQL in the
 * script (generate_series); the contents here match them.
 * <pre>
 * GcSeed s3-put ENDPOINT ACCESS SECRET BUCKET PREFIX FROM TO   objects PREFIX%07d/data for FROM..TO-1, 32 bytes each
 * GcSeed s3-files BUCKET_DIR PREFIX FROM TO                    the same objects written straight into S3Proxy's
 *                                                              filesystem backend (BUCKET_DIR = basedir/bucket):
 *                                                              S3Proxy lists, serves and deletes them as its own;
 *                                                              many times faster than PUTs through it
 * GcSeed s3-count ENDPOINT ACCESS SECRET BUCKET PREFIX         objects whose key starts with PREFIX
 * GcSeed s3-delete ENDPOINT ACCESS SECRET BUCKET PREFIX FROM TO CALLERS
 *                                                              deletes those objects with DeleteObjects of 1 000
 *                                                              keys, CALLERS requests in flight (what the S3 server
 *                                                              alone can do: the ceiling of any number of workers);
 *                                                              prints the seconds it took
 * GcSeed files BERTH_ROOT DISTRIBUTION_ROOT FROM TO            blob files of the contents "berth-gc-bench-i" in
 *                                                              Berth's layout (blobs/sha256/ab/HEX/data) and in
 *                                                              distribution's (docker/registry/v2/blobs/...)
 * GcSeed count-files ROOT                                      regular files under ROOT
 * </pre>
 * Class path: registry-api/target/quarkus-app/lib/main/* (the AWS SDK v2 with its Netty client).
 */
public class GcSeed {
    private static final int IN_FLIGHT = 64;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "s3-put" -> s3Put(args);
            case "s3-files" -> s3Files(args);
            case "s3-count" -> s3Count(args);
            case "s3-delete" -> s3Delete(args);
            case "files" -> files(args);
            case "count-files" -> {
                try (var walk = Files.walk(Path.of(args[1]))) {
                    System.out.println(walk.filter(Files::isRegularFile).count());
                }
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static S3AsyncClient s3(String[] args) {
        return S3AsyncClient.builder().endpointOverride(URI.create(args[1])).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(args[2], args[3])))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(IN_FLIGHT)).build();
    }

    /** PUTs with at most IN_FLIGHT requests in flight; the first failure stops it. */
    private static void s3Put(String[] args) throws Exception {
        String bucket = args[4];
        String prefix = args[5];
        int from = Integer.parseInt(args[6]);
        int to = Integer.parseInt(args[7]);
        Semaphore slots = new Semaphore(IN_FLIGHT);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (S3AsyncClient s3 = s3(args)) {
            for (int i = from; i < to && failure.get() == null; i++) {
                slots.acquire();
                String key = objectKey(prefix, i);
                byte[] body = objectBody(i);
                CompletableFuture<?> put = s3.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(body));
                put.whenComplete((r, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                    slots.release();
                });
            }
            slots.acquire(IN_FLIGHT);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("PUT failed", failure.get());
        }
    }

    private static String objectKey(String prefix, int i) {
        return String.format("%s%07d/data", prefix, i);
    }

    private static byte[] objectBody(int i) {
        return ("berth-gc-bench-object-" + i + "-padding-0123456789").substring(0, 32).getBytes(StandardCharsets.UTF_8);
    }

    private static void s3Files(String[] args) throws Exception {
        Path bucket = Path.of(args[1]);
        int from = Integer.parseInt(args[3]);
        int to = Integer.parseInt(args[4]);
        for (int i = from; i < to; i++) {
            Path file = bucket.resolve(objectKey(args[2], i));
            Files.createDirectories(file.getParent());
            Files.write(file, objectBody(i));
        }
    }

    private static void s3Delete(String[] args) throws Exception {
        String bucket = args[4];
        String prefix = args[5];
        int from = Integer.parseInt(args[6]);
        int to = Integer.parseInt(args[7]);
        int callers = Integer.parseInt(args[8]);
        Semaphore slots = new Semaphore(callers);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long started = System.nanoTime();
        try (S3AsyncClient s3 = s3(args)) {
            for (int i = from; i < to && failure.get() == null; i += 1000) {
                slots.acquire();
                List<ObjectIdentifier> keys = new ArrayList<>();
                for (int k = i; k < Math.min(i + 1000, to); k++) {
                    keys.add(ObjectIdentifier.builder().key(objectKey(prefix, k)).build());
                }
                s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(keys).quiet(true))).whenComplete((r, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else if (!r.errors().isEmpty()) {
                        failure.compareAndSet(null, new IllegalStateException(r.errors().size() + " keys refused: "
                                + r.errors().get(0)));
                    }
                    slots.release();
                });
            }
            slots.acquire(callers);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("DeleteObjects failed", failure.get());
        }
        System.out.printf("%.2f%n", (System.nanoTime() - started) / 1e9);
    }

    private static void s3Count(String[] args) {
        String bucket = args[4];
        String prefix = args[5];
        long count = 0;
        try (S3AsyncClient s3 = s3(args)) {
            String token = null;
            while (true) {
                String continuation = token;
                ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)
                        .continuationToken(continuation)).join();
                count += page.contents().size();
                if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
                    break;
                }
                token = page.nextContinuationToken();
            }
        }
        System.out.println(count);
    }

    private static void files(String[] args) throws Exception {
        Path berth = Path.of(args[1]);
        Path distribution = Path.of(args[2]).resolve("docker/registry/v2");
        int from = Integer.parseInt(args[3]);
        int to = Integer.parseInt(args[4]);
        Files.createDirectories(distribution.resolve("repositories"));
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        HexFormat hex = HexFormat.of();
        for (int i = from; i < to; i++) {
            byte[] content = ("berth-gc-bench-" + i).getBytes(StandardCharsets.UTF_8);
            String h = hex.formatHex(sha256.digest(content));
            String relative = "blobs/sha256/" + h.substring(0, 2) + "/" + h + "/data";
            for (Path root : new Path[] {berth, distribution}) {
                Path file = root.resolve(relative);
                Files.createDirectories(file.getParent());
                Files.write(file, content);
            }
        }
    }
}
