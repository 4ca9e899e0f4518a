package dev.berth.gc.collector;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Registry rows and storage objects for the collector tests, written as registry-api would leave them. */
public class Fixtures {
    public static final Duration OLD = Duration.ofHours(2);

    public record Blob(String digest, StorageKey key, long size) {
    }

    private final Pool pool;
    private final BlobStore store;
    private final Vertx vertx;

    public Fixtures(Pool pool, BlobStore store, Vertx vertx) {
        this.pool = pool;
        this.store = store;
        this.vertx = vertx;
    }

    /** Empties the registry's tables and the gc queues (the tests share one database). */
    public void reset() {
        sql("truncate repository, blob, gc_link_candidate, gc_blob_candidate, gc_pending_object, outbox "
                + "restart identity cascade");
    }

    public List<Row> sql(String statement, Object... params) {
        List<Row> rows = new ArrayList<>();
        pool.preparedQuery(statement).execute(Tuple.from(List.of(params))).await().atMost(Duration.ofMinutes(2))
                .forEach(rows::add);
        return rows;
    }

    public long count(String statement, Object... params) {
        return sql(statement, params).get(0).getLong(0);
    }

    public long repository(String name) {
        return sql("insert into repository (name) values ($1) returning id", name).get(0).getLong(0);
    }

    /** A blob in storage and its row, last touched {@code age} ago. */
    public Blob blob(int size, Duration age) throws Exception {
        byte[] data = new byte[size];
        ThreadLocalRandom.current().nextBytes(data);
        Digest digest = Digest.sha256Of(data);
        StorageKey key = store(data, digest);
        sql("insert into blob (digest, size, storage_key, last_touched_at) values ($1, $2, $3, now() - $4::int8 * "
                + "interval '1 millisecond')", digest.toString(), (long) size, key.path(), age.toMillis());
        return new Blob(digest.toString(), key, size);
    }

    /** Links {@code blob} into the repository, last touched {@code age} ago (queues a link candidate). */
    public void link(long repositoryId, Blob blob, Duration age) {
        sql("insert into repository_blob (repository_id, digest, last_touched_at) values ($1, $2, now() - $3::int8 * "
                + "interval '1 millisecond')", repositoryId, blob.digest(), age.toMillis());
    }

    /** A manifest of the repository that references {@code layers}. */
    public long manifest(long repositoryId, Blob... layers) {
        String digest = "sha256:" + UUID.randomUUID().toString().replace("-", "") + "00000000000000000000000000000000";
        long id = sql("insert into manifest (repository_id, digest, media_type, size, payload) values ($1, $2, "
                + "'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d'::bytea) returning id", repositoryId,
                digest).get(0).getLong(0);
        for (Blob layer : layers) {
            sql("insert into manifest_reference (manifest_id, digest, kind) values ($1, $2, 'layer')", id, layer.digest());
        }
        return id;
    }

    /** Makes every queued candidate due now. */
    public void allDue() {
        sql("update gc_link_candidate set not_before = now() - interval '1 second'");
        sql("update gc_blob_candidate set not_before = now() - interval '1 second'");
    }

    public boolean inStorage(StorageKey key) throws Exception {
        try {
            onContext(() -> store.read(key, 0, 1).compose(s -> {
                Promise<Void> read = Promise.promise();
                s.endHandler(read::tryComplete);
                s.exceptionHandler(read::tryFail);
                s.handler(b -> {
                });
                return read.future();
            }));
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return false;
        }
    }

    /** Stores {@code data} with the upload API (one announced chunk, as a push does). */
    private StorageKey store(byte[] data, Digest digest) throws Exception {
        Path file = Files.createTempFile("gc-fixture", ".bin");
        try {
            Files.write(file, data);
            return onContext(() -> store.beginUpload(UUID.randomUUID().toString())
                    .compose(handle -> vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true))
                            .compose(body -> store.writeChunk(handle, 0, body, data.length)
                                    .eventually(() -> body.close())))
                    .compose(written -> store.commitUpload(written.handle(), data.length, digest)));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private <T> T onContext(Supplier<Future<T>> call) throws Exception {
        Context context = vertx.getOrCreateContext();
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                call.get().onComplete(promise);
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future().toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
    }
}
