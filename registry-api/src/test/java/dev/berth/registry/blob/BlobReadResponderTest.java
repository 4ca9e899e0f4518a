package dev.berth.registry.blob;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code berth.registry.blob.read}: a small blob of a repository over event-bus request/reply. */
@QuarkusTest
class BlobReadResponderTest {
    @Inject
    Vertx vertx;

    private Buffer ask(Object request) throws Exception {
        return vertx.eventBus().<Buffer>request(BlobReadResponder.ADDRESS, request).map(m -> m.body())
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private ReplyException refused(Object request) {
        try {
            ask(request);
        } catch (Exception e) {
            Throwable cause = e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException
                    ? e.getCause() : e;
            assertThat(cause).isInstanceOf(ReplyException.class);
            return (ReplyException) cause;
        }
        throw new AssertionError("the request was answered: " + request);
    }

    private static JsonObject request(String repo, Object digest, Object maxBytes) {
        JsonObject json = new JsonObject().put("repository", repo).put("digest", digest == null ? null : digest.toString());
        return maxBytes == null ? json : json.put("maxBytes", maxBytes);
    }

    @Test
    void answersALinkedBlobWithItsBytes() throws Exception {
        String repo = uniqueRepo("busread");
        byte[] config = randomBytes(3000);
        Digest digest = pushBlob(repo, config);
        assertThat(ask(request(repo, digest, 1_048_576)).getBytes()).isEqualTo(config);
        assertThat(ask(request(repo, digest, null)).getBytes()).as("maxBytes defaults to the cap").isEqualTo(config);
        assertThat(ask(request(repo, digest, 3000)).getBytes()).as("exactly maxBytes is fine").isEqualTo(config);

        Digest empty = pushBlob(repo, new byte[0]);
        assertThat(ask(request(repo, empty, 10)).length()).isZero();
    }

    @Test
    void aBlobNotLinkedInThatRepositoryIsNotFound() {
        String repo = uniqueRepo("busread");
        Digest digest = pushBlob(repo, randomBytes(100));
        String other = uniqueRepo("busread");
        pushBlob(other, randomBytes(10));

        assertThat(refused(request(other, digest, 1000)).failureCode()).as("linked elsewhere only").isEqualTo(404);
        assertThat(refused(request(uniqueRepo("nowhere"), digest, 1000)).failureCode()).as("unknown repository").isEqualTo(404);
        assertThat(refused(request(repo, Digest.sha256Of(randomBytes(8)), 1000)).failureCode()).isEqualTo(404);
    }

    @Test
    void aBlobLargerThanMaxBytesIsRefused() {
        String repo = uniqueRepo("busread");
        Digest digest = pushBlob(repo, randomBytes(3001));
        ReplyException tooLarge = refused(request(repo, digest, 3000));
        assertThat(tooLarge.failureCode()).isEqualTo(413);
        assertThat(tooLarge.getMessage()).contains("3001");

        // maxBytes is capped: a client cannot ask for more than 4 MiB in one message
        Digest big = pushBlob(repo, randomBytes(BlobReadResponder.MAX_BYTES + 1));
        assertThat(refused(request(repo, big, 64L * 1024 * 1024)).failureCode()).isEqualTo(413);
    }

    @Test
    void aMalformedRequestIsABadRequest() {
        String repo = uniqueRepo("busread");
        Digest digest = pushBlob(repo, randomBytes(10));
        assertThat(refused("not json").failureCode()).isEqualTo(400);
        assertThat(refused(request("Not/A/Name", digest, 10)).failureCode()).isEqualTo(400);
        assertThat(refused(request(repo, "sha256:nope", 10)).failureCode()).isEqualTo(400);
        assertThat(refused(request(repo, null, 10)).failureCode()).isEqualTo(400);
        assertThat(refused(request(repo, digest, 0)).failureCode()).isEqualTo(400);
        assertThat(refused(request(repo, digest, "10")).failureCode()).isEqualTo(400);
        assertThat(refused(request(repo, digest, 1.5)).failureCode()).isEqualTo(400);
    }
}
