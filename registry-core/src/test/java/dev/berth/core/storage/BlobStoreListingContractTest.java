package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The storage scan every driver owes gc-worker ({@link BlobStore#list}): lexical order, prefixes, pages and where a
 * page starts, run against each driver on a real backend by a subclass. Each test works under a prefix of its own.
 */
public abstract class BlobStoreListingContractTest {
    protected Vertx vertx;
    protected BlobStore store;
    protected String base;

    protected abstract BlobStore createStore();

    /** Writes an object straight into the backend, as something other than the registry could. */
    protected abstract void put(String key, byte[] content) throws Exception;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        store = createStore();
        base = "scan-" + UUID.randomUUID().toString().substring(0, 8) + "/";
    }

    @AfterEach
    void tearDown() throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    protected <T> T await(Supplier<Future<T>> call) throws Exception {
        Promise<T> promise = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> call.get().onComplete(promise));
        return promise.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** Keys whose folder order differs from a naive sort of names: {@code -} and {@code .} sort before {@code /}. */
    private List<String> trickyKeys() {
        List<String> keys = new ArrayList<>();
        for (String k : List.of("a/x", "a/y/z", "a-b/x", "a.b", "a0", "b", "a/y-1", "a/y/a", "ab/c/d/e")) {
            keys.add(base + k);
        }
        for (int i = 0; i < 16; i++) {
            keys.add(base + "n/" + String.format("%02x", i * 7 % 16) + "/data");
        }
        return keys;
    }

    private List<String> all(String prefix, String startAfter, int pageSize) throws Exception {
        List<String> keys = new ArrayList<>();
        String after = startAfter;
        for (int pages = 0; pages < 100; pages++) {
            String from = after;
            ObjectPage page = await(() -> store.list(prefix, from, pageSize));
            assertThat(page.objects()).hasSizeLessThanOrEqualTo(pageSize);
            page.objects().forEach(o -> keys.add(o.key()));
            if (!page.truncated()) {
                return keys;
            }
            after = page.lastKey();
        }
        throw new AssertionError("listing does not end");
    }

    @Test
    void listsEveryKeyInLexicalOrderAcrossPages() throws Exception {
        List<String> keys = trickyKeys();
        for (String key : keys) {
            put(key, key.getBytes());
        }
        List<String> sorted = keys.stream().sorted().toList();
        for (int pageSize : new int[] {1, 3, 7, 1000}) {
            assertThat(all(base, null, pageSize)).as("pages of %d", pageSize).containsExactlyElementsOf(sorted);
        }
    }

    @Test
    void reportsSizeAndModificationTime() throws Exception {
        Instant before = Instant.now().minusSeconds(5);
        put(base + "one/data", new byte[1234]);
        ObjectPage page = await(() -> store.list(base, null, 10));
        assertThat(page.truncated()).isFalse();
        assertThat(page.objects()).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(base + "one/data");
            assertThat(o.size()).isEqualTo(1234);
            assertThat(o.lastModified()).isBetween(before, Instant.now().plus(Duration.ofSeconds(5)));
        });
    }

    @Test
    void aPrefixNeedNotBeAFolder() throws Exception {
        List<String> keys = trickyKeys();
        for (String key : keys) {
            put(key, new byte[1]);
        }
        List<String> expected = keys.stream().filter(k -> k.startsWith(base + "a")).sorted().toList();
        assertThat(all(base + "a", null, 2)).containsExactlyElementsOf(expected);
        assertThat(all(base + "a/y", null, 2)).containsExactly(base + "a/y-1", base + "a/y/a", base + "a/y/z");
        assertThat(all(base + "nothing-here/", null, 2)).isEmpty();
    }

    @Test
    void startsAfterAnyKeyEvenOneThatIsNotStored() throws Exception {
        List<String> keys = trickyKeys();
        for (String key : keys) {
            put(key, new byte[1]);
        }
        List<String> sorted = keys.stream().sorted().toList();
        for (String after : List.of(base + "a/y", base + "a/y/", base + "a-", base + "a/x", base + "n/07",
                base + "zzz")) {
            assertThat(all(base, after, 4)).as("after %s", after)
                    .containsExactlyElementsOf(sorted.stream().filter(k -> k.compareTo(after) > 0).toList());
        }
    }

    @Test
    void theUploadOfAKeyIsKnownWithoutIo() {
        assertThat(store.uploadOwning("uploads/abc/data")).contains("abc");
        assertThat(store.uploadOwning("uploads/abc/pending/5")).contains("abc");
        assertThat(store.uploadOwning("blobs/sha256/ab/abcd/data")).isEmpty();
    }
}
