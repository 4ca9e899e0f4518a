package dev.berth.core.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.BlobStoreListingContractTest;
import dev.berth.core.storage.MultipartPage;
import dev.berth.core.storage.PendingMultipart;
import dev.berth.devtools.s3.S3ProxyServer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** The listing contract on S3 (S3Proxy), and the multipart uploads a scan finds and aborts. */
class S3BlobStoreListingTest extends BlobStoreListingContractTest {
    private static S3ProxyServer server;
    private static String bucket;
    private static S3AsyncClient raw;

    @BeforeAll
    static void startServer() {
        server = S3ProxyServer.shared();
        bucket = "listing-" + UUID.randomUUID().toString().substring(0, 8);
        raw = S3TestClients.raw(server);
        raw.createBucket(b -> b.bucket(bucket)).join();
    }

    @AfterAll
    static void closeClient() {
        raw.close();
    }

    @Override
    protected BlobStore createStore() {
        return new S3BlobStore(vertx, new S3Settings(server.endpoint(), S3ProxyServer.REGION, bucket,
                S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, true, S3Settings.MIN_PART_SIZE, false, null));
    }

    @Override
    protected void put(String key, byte[] content) {
        raw.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(content)).join();
    }

    @Test
    void theBlobObjectOfAnUploadBelongsToIt() {
        assertThat(store.uploadOwning("blobs/0b7f/data")).contains("0b7f");
        assertThat(store.uploadOwning("blobs/0b7f/other")).isEmpty();
    }

    @Test
    void findsMultipartUploadsInPagesAndAbortsThem() throws Exception {
        Instant before = Instant.now().minusSeconds(60);
        List<String> started = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String key = base + "blobs/u" + i + "/data";
            started.add(raw.createMultipartUpload(b -> b.bucket(bucket).key(key)).join().uploadId());
        }
        List<PendingMultipart> found = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 20; pages++) {
            String from = after;
            MultipartPage page = await(() -> store.multipartUploads(base, from, 2));
            found.addAll(page.uploads());
            after = page.next();
            if (after == null) {
                break;
            }
        }
        assertThat(found).extracting(PendingMultipart::uploadId).containsExactlyInAnyOrderElementsOf(started);
        assertThat(found).allSatisfy(u -> assertThat(u.initiated()).isAfter(before));
        for (PendingMultipart u : found) {
            await(() -> store.abortMultipart(u.key(), u.uploadId()));
        }
        // aborting again is no error
        await(() -> store.abortMultipart(found.get(0).key(), found.get(0).uploadId()));
        assertThat(await(() -> store.multipartUploads(base, null, 100)).uploads()).isEmpty();
    }
}
