package dev.berth.it.replicas;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import dev.berth.devtools.s3.S3ProxyClient;
import dev.berth.devtools.s3.S3ProxyServer;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.images.Digests;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 driver on one bucket of a real S3 server (S3Proxy with its filesystem backend, on 127.0.0.1, one
 * per scenario class). What was stored is looked at through the S3 API, as the registry sees it:
 * <ul>
 * <li>a blob is the object {@code blobs/<upload-id>/data} its upload completed into, so concurrent uploads of
 * one digest each make an object, and all but the one PostgreSQL records must be deleted again;</li>
 * <li>an unfinished upload is a multipart upload in progress plus its pending tail objects under
 * {@code uploads/<upload-id>/}.</li>
 * </ul>
 */
public final class S3BucketStorage implements ReplicaStorage {

    private static final String BUCKET = "berth-replicas";
    /* S3's minimum part size, so that the scenarios' few-MiB chunks cross part boundaries and leave tails */
    private static final long PART_SIZE = 5L * 1024 * 1024;

    private final S3ProxyServer server;
    private final S3AsyncClient s3;

    public S3BucketStorage(String name) {
        this.server = S3ProxyServer.start(ItPaths.newWorkDir(name));
        this.s3 = S3ProxyClient.connect(server.endpoint());
        System.out.printf("[berth-it] S3Proxy for the replicas on %s, bucket %s%n", server.endpoint(), BUCKET);
    }

    @Override
    public Map<String, String> registryProperties() {
        Map<String, String> properties = server.registryStorageConfig(BUCKET);
        properties.put("registry.storage.s3.part-size", Long.toString(PART_SIZE));
        return properties;
    }

    @Override
    public Path filesystemRoot() {
        return null;
    }

    /** Objects under {@code blobs/} whose bytes hash to the digest (read back: keys do not name digests). */
    @Override
    public long storedCopies(String digest) {
        long copies = 0;
        for (StoredObject object : list("blobs/")) {
            byte[] content = read(object.key());
            if (content != null && Digests.sha256(content).equals(digest)) {
                copies++;
            }
        }
        return copies;
    }

    /** Multipart uploads in progress and pending tail objects. */
    @Override
    public long uploadLeftovers() {
        long multipart = 0;
        String keyMarker = null;
        String uploadIdMarker = null;
        while (true) {
            String keys = keyMarker;
            String ids = uploadIdMarker;
            ListMultipartUploadsResponse page = s3.listMultipartUploads(b -> b.bucket(BUCKET).keyMarker(keys)
                    .uploadIdMarker(ids)).join();
            multipart += page.uploads().size();
            if (!Boolean.TRUE.equals(page.isTruncated())) {
                break;
            }
            keyMarker = page.nextKeyMarker();
            uploadIdMarker = page.nextUploadIdMarker();
        }
        return multipart + list("uploads/").size();
    }

    @Override
    public List<StoredObject> list(String prefix) {
        List<StoredObject> objects = new ArrayList<>();
        String token = null;
        while (true) {
            String continuation = token;
            ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)
                    .continuationToken(continuation)).join();
            for (S3Object object : page.contents()) {
                objects.add(new StoredObject(object.key(), object.size(), object.lastModified()));
            }
            if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
                return objects;
            }
            token = page.nextContinuationToken();
        }
    }

    @Override
    public byte[] read(String key) {
        try {
            return s3.getObject(b -> b.bucket(BUCKET).key(key), AsyncResponseTransformer.toBytes()).join()
                    .asByteArrayUnsafe();
        } catch (CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return null;
            }
            throw e;
        }
    }

    /** The S3 API of the server, for a test that writes to the bucket itself; closed with this storage. */
    public S3AsyncClient client() {
        return s3;
    }

    public String bucket() {
        return BUCKET;
    }

    @Override
    public void close() {
        s3.close();
        server.close();
    }

    @Override
    public String toString() {
        return "S3 bucket " + BUCKET + " at " + server.endpoint();
    }
}
