package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.berth.it.harness.Http;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.RandomContent;

/**
 * Two registry-api processes over one database and one storage, as replicas behind a load balancer: an
 * upload opened on one is continued and closed on the other, and an upload whose replica is killed
 * (SIGKILL) in the middle of a chunk is resumed on the other from the offset it reports. Either way one
 * copy of the blob is stored and nothing of the upload is left. Each subclass runs this on one storage
 * driver ({@link ReplicaStorage}). Berth only: the peer keeps upload state per process.
 */
abstract class ReplicaUploadScenario extends ReplicaScenario {

    private static final int MIB = 1024 * 1024;
    private static final String REPOSITORY = "it/replicas/blobs";

    private RegistryProcess first;
    private RegistryProcess second;

    @BeforeAll
    void startReplicas() {
        if (!againstBerth()) {
            return;
        }
        // one after the other: the first one migrates the schema
        first = startReplica("replica-a", Map.of());
        second = startReplica("replica-b", Map.of());
    }

    @AfterAll
    void stopReplicas() {
        if (second != null) {
            second.close();
        }
        if (first != null) {
            first.close();
        }
    }

    @Test
    @Order(1)
    void uploadOpenedOnOneReplicaIsFinishedOnTheOther() throws Exception {
        byte[] data = RandomContent.fresh("replica upload").bytes(6 * MIB + 77);
        String digest = Digests.sha256(data);
        int split = 3 * MIB + 5;

        BlobUploads.State state = BlobUploads.start(first, REPOSITORY);
        state = BlobUploads.patch(first, state, data, 0, split);
        BlobUploads.State seenBySecond = BlobUploads.status(second, state);
        assertThat(seenBySecond.offset()).as("offset the second replica reports after a chunk on the first").isEqualTo(split);
        state = BlobUploads.patch(second, state, data, split, data.length);
        BlobUploads.finish(second, state, digest);

        byte[] fromFirst = BlobUploads.get(first, REPOSITORY, digest);
        byte[] fromSecond = BlobUploads.get(second, REPOSITORY, digest);
        assertThat(Digests.sha256(fromFirst)).as("blob read from %s", first).isEqualTo(digest);
        assertThat(Digests.sha256(fromSecond)).as("blob read from %s", second).isEqualTo(digest);
        assertThat(fromFirst).as("bytes from both replicas").isEqualTo(fromSecond).isEqualTo(data);
        assertStoredOnceWithoutLeftovers(digest);
    }

    @Test
    @Order(2)
    void uploadSurvivesAReplicaKilledInTheMiddleOfAChunk() throws Exception {
        byte[] data = RandomContent.fresh("killed replica upload").bytes(12 * MIB + 321);
        String digest = Digests.sha256(data);
        int firstChunk = 4 * MIB;

        BlobUploads.State state = BlobUploads.start(first, REPOSITORY);
        state = BlobUploads.patch(first, state, data, 0, firstChunk);

        // the second chunk streams slowly to the first replica, which is killed half-way through it
        SlowBodyPublisher body = new SlowBodyPublisher(data, firstChunk, data.length, 2 * MIB, Duration.ofMillis(100));
        HttpRequest slowPatch = BlobUploads.patchRequest(first, state, firstChunk, data.length,
                HttpRequest.BodyPublishers.fromPublisher(body, body.contentLength()));
        HttpClient client = Http.newClient();
        CompletableFuture<HttpResponse<byte[]>> inFlight = client.sendAsync(slowPatch, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(body.fastPartSent().await(60, TimeUnit.SECONDS))
                .as("the first 2 MiB of the chunk were sent within 60 s").isTrue();
        Thread.sleep(500);
        if (inFlight.isDone()) {
            throw new AssertionError("the replica answered before the chunk was complete:" + outcome(slowPatch, inFlight));
        }
        long sentBeforeKill = body.emitted();
        first.kill9();
        System.out.printf("[berth-it] killed %s after %d of %d chunk bytes had been sent%n", first, sentBeforeKill,
                body.contentLength());
        try {
            HttpResponse<byte[]> response = inFlight.get(60, TimeUnit.SECONDS);
            throw new AssertionError("the PATCH to the killed replica got an answer:" + Http.describe(slowPatch, response, null));
        } catch (ExecutionException expected) {
            // the connection died with the process
        } catch (TimeoutException e) {
            inFlight.cancel(true);
            throw new AssertionError("the PATCH to the killed replica neither failed nor finished within 60 s", e);
        }

        // the other replica knows where the upload stands
        BlobUploads.State resumed = BlobUploads.status(second, state);
        assertThat(resumed.offset()).as("offset after the kill (chunk 1 was %d bytes, %d more were streaming)", firstChunk,
                sentBeforeKill).isBetween((long) firstChunk, firstChunk + sentBeforeKill);
        System.out.printf("[berth-it] upload resumes on %s at offset %d%n", second, resumed.offset());

        BlobUploads.State done = BlobUploads.patch(second, resumed, data, (int) resumed.offset(), data.length);
        BlobUploads.finish(second, done, digest);
        byte[] blob = BlobUploads.get(second, REPOSITORY, digest);
        assertThat(Digests.sha256(blob)).as("sha256 of the blob read back").isEqualTo(digest);
        assertThat(blob).as("blob bytes").isEqualTo(data);
        // what the killed replica wrote of its chunk (a part, a pending tail) is gone or unused
        assertStoredOnceWithoutLeftovers(digest);
    }

    private void assertStoredOnceWithoutLeftovers(String digest) throws Exception {
        assertThat(storage.storedCopies(digest)).as("stored copies of %s in %s", digest, storage).isEqualTo(1);
        assertThat(storage.uploadLeftovers()).as("upload leftovers in %s", storage).isZero();
    }

    private static String outcome(HttpRequest request, CompletableFuture<HttpResponse<byte[]>> future) {
        try {
            return Http.describe(request, future.getNow(null), null);
        } catch (RuntimeException e) {
            return " failed with " + e;
        }
    }
}
