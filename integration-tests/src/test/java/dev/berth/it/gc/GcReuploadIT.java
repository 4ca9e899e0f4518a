package dev.berth.it.gc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.gc.GcStressIT.Image;
import dev.berth.it.gc.RegistryCalls.Blob;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.GcWorkerProcess;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.RandomContent;
import dev.berth.it.replicas.SharedFolderStorage;

/**
 * The interleaving that the filesystem driver makes dangerous, end to end, without hooks: on the filesystem one
 * digest has one path, so an upload of a digest whose old object gc-worker is deleting must not lose its file to that
 * deletion (registry-api's upload completion claims the digest's pending deletions and removes the old object itself
 * before its own takes the path; a deletion already claimed by the collector holds the row lock until the file is
 * gone, and the upload waits for it).
 * <p>
 * {@value #TARGETS} blobs of an image are left unreferenced past the grace period (its manifest deleted), among
 * {@code -Dberth.it.gc.reuploadFiller} (default {@value #DEFAULT_FILLER}) other unreferenced blobs (rows and files
 * written directly), so that a run's sweep (batches of {@value #BATCH}) takes a while. During that run, client
 * threads watch {@code gc_pending_object}: as soon as a target's blob row is gone and its object waits for deletion
 * while the object collector is working through the queue, they upload the same digest to another repository and
 * push a manifest referencing it. Each such image must pull byte-identical then, after the run, and after a final
 * run; its file must hold the digest's bytes; no pending deletion of a re-uploaded digest may be left.
 */
@ExtendWith(RegistryExtension.class)
class GcReuploadIT {

    static final int TARGETS = 16;
    static final int DEFAULT_FILLER = 20_000;
    static final int BATCH = 20;
    private static final int CLIENTS = 4;
    private static final Duration GRACE = GcStressIT.GRACE;
    private static final Duration LIMIT = Duration.ofMinutes(3);

    private final int filler = Integer.getInteger("berth.it.gc.reuploadFiller", DEFAULT_FILLER);

    @BeforeEach
    void onlyAgainstBerth() {
        Assumptions.assumeTrue(ItEnvironment.selectedRegistry().equals("berth"), "garbage collection is Berth's");
    }

    /** How a target's re-upload met the sweep. */
    enum Meeting {
        /** its object was queued for deletion and the object collector was deleting (the interleaving sought) */
        DURING_OBJECT_DELETION,
        /** its object was deleted before the client got to it (a plain re-upload after deletion) */
        AFTER_DELETION
    }

    @Test
    void reuploadDuringObjectDeletionKeepsTheNewObject(ItEnvironment environment) throws Exception {
        GcWorkerProcess.runnerJar();
        RegistryProcess.runnerJar();
        EmbeddedDatabase database = environment.database();
        String databaseName = "gc_reupload";
        database.createDatabase(databaseName);
        SharedFolderStorage storage = environment.track(new SharedFolderStorage("gc-reupload-filesystem"));
        Path root = storage.filesystemRoot();
        RegistryProcess registry = environment.track(RegistryProcess.start("gc-reupload", database, databaseName, root,
                Map.of("registry.gc.touch-interval", "PT0.5S")));
        Map<String, String> workerProperties = new LinkedHashMap<>();
        workerProperties.put("gc.grace", "PT" + GRACE.toSeconds() + "S");
        workerProperties.put("gc.batch-size", Integer.toString(BATCH));
        workerProperties.put("gc.schedule.enabled", "false");
        workerProperties.put("gc.auth.enabled", "false");
        GcWorkerProcess worker = environment.track(GcWorkerProcess.start("gc-reupload", database, databaseName, root,
                workerProperties));
        try {
            DataSource dataSource = database.dataSource(databaseName);
            GcInvariants invariants = new GcInvariants(dataSource, storage);
            RegistryCalls calls = new RegistryCalls(registry);
            GcRuns runs = new GcRuns(worker);
            RandomContent random = RandomContent.fresh("gc re-upload");

            // 1. the targets: layers of an image whose manifest is deleted again (its links become candidates)
            List<Blob> targets = new ArrayList<>();
            for (int i = 0; i < TARGETS; i++) {
                targets.add(Blob.of(random.bytes(4096 + i * 131)));
            }
            Blob oldConfig = Blob.of("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}".getBytes(StandardCharsets.UTF_8));
            byte[] oldManifest = RegistryCalls.imageManifest(oldConfig, targets);
            calls.upload("reupload/old", oldConfig, false);
            for (Blob target : targets) {
                calls.upload("reupload/old", target, true);
            }
            assertThat(calls.putManifest("reupload/old", "v1", oldManifest).statusCode()).isEqualTo(201);
            assertThat(calls.deleteManifest("reupload/old", Digests.sha256(oldManifest))).isTrue();

            // 2. the filler: unreferenced blobs past grace, rows and files written directly, queued as candidates
            long seeded = System.nanoTime();
            seedFiller(dataSource, root, filler, random.seed());
            System.out.printf("[berth-it] gc re-upload: %d unreferenced filler blobs seeded in %d ms%n", filler,
                    (System.nanoTime() - seeded) / 1_000_000);
            GcRuns.pause(GRACE.plusMillis(500).toMillis());

            // 3. the run, and the clients re-uploading the targets as the sweep reaches them
            String runId = runs.start(GcRuns.INCREMENTAL, false, LIMIT);
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Map<String, Meeting> meetings = new ConcurrentHashMap<>();
            List<Image> reuploaded = new ArrayList<>();
            PendingWatch watch = new PendingWatch(dataSource);
            List<Thread> clients = new ArrayList<>();
            long deadline = System.nanoTime() + LIMIT.toNanos();
            for (int c = 0; c < CLIENTS; c++) {
                List<Blob> mine = new ArrayList<>();
                for (int i = c; i < TARGETS; i += CLIENTS) {
                    mine.add(targets.get(i));
                }
                int client = c;
                Thread thread = new Thread(() -> {
                    try (Connection connection = dataSource.getConnection()) {
                        for (Blob target : mine) {
                            Meeting meeting = watch.awaitChance(connection, target.digest(), deadline);
                            Image image = repush(calls, "reupload/new-" + client, target, random.seed() + client);
                            meetings.put(target.digest(), meeting);
                            assertThat(watch.pending(connection, target.digest()))
                                    .as("pending deletions of %s left after its upload completed", target.digest())
                                    .isFalse();
                            GcStressIT.verify(calls, image, image.digest(), null);
                            synchronized (reuploaded) {
                                reuploaded.add(image);
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "gc-reupload-client-" + c);
                clients.add(thread);
                thread.start();
            }
            for (Thread thread : clients) {
                thread.join(LIMIT.plusSeconds(30).toMillis());
                assertThat(thread.isAlive()).as("%s still running", thread.getName()).isFalse();
            }
            JsonNode run = runs.awaitFinished(runId, LIMIT);
            if (!failures.isEmpty()) {
                AssertionError error = new AssertionError("re-upload clients failed: " + failures.peek() + "\n"
                        + registry.describe() + "\n" + worker.process().describe(), failures.peek());
                failures.stream().skip(1).forEach(error::addSuppressed);
                throw error;
            }
            assertThat(run.path("state").asText()).as("the run %s", run).isEqualTo("completed");

            // 4. after the run, and after a final one past grace: every re-pushed image intact, its file intact
            for (Image image : reuploaded) {
                GcStressIT.verify(calls, image, image.digest(), null);
            }
            assertFilesIntact(storage, targets);
            GcRuns.pause(GRACE.plusSeconds(1).toMillis());
            invariants.awaitCandidatesDue(GcStressIT.CANDIDATES_DUE);
            JsonNode last = runs.run(null, LIMIT);
            invariants.assertNothingUnreferenced();
            for (Image image : reuploaded) {
                GcStressIT.verify(calls, image, image.digest(), null);
            }
            assertFilesIntact(storage, targets);

            Map<Meeting, Long> byMeeting = new LinkedHashMap<>();
            for (Meeting meeting : Meeting.values()) {
                byMeeting.put(meeting, meetings.values().stream().filter(meeting::equals).count());
            }
            System.out.printf("[berth-it] gc re-upload: %d targets among %d filler blobs; re-uploads %s; the run "
                    + "swept %d blobs and deleted %d objects (%s); the final run %s; pending deletions seen at most %d%n",
                    TARGETS, filler, byMeeting, GcRuns.objects(run, "blobs"), GcRuns.objects(run, "objects"),
                    run.path("results"), last.path("results"), watch.maxPending.get());
            assertThat(reuploaded).hasSize(TARGETS);
            assertThat(byMeeting.get(Meeting.DURING_OBJECT_DELETION))
                    .as("re-uploads that met the object collector at work (more filler makes the sweep longer: "
                            + "-Dberth.it.gc.reuploadFiller)").isPositive();
        } finally {
            ManagedProcess.stopAll(worker, registry);
        }
    }

    /** Uploads {@code target} to {@code repository} (HEAD first, as a client) and pushes a new image over it. */
    private static Image repush(RegistryCalls calls, String repository, Blob target, long nonce) {
        if (!calls.exists(repository, target.digest())) {
            calls.upload(repository, target, false);
        }
        Blob config = Blob.of(("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"target\":\""
                + target.digest() + "\",\"nonce\":\"" + nonce + "\"}}}").getBytes(StandardCharsets.UTF_8));
        calls.upload(repository, config, false);
        byte[] manifest = RegistryCalls.imageManifest(config, List.of(target));
        String tag = "t" + Digests.hex(target.digest()).substring(0, 12);
        int status = calls.putManifest(repository, tag, manifest).statusCode();
        assertThat(status).as("manifest PUT right after the upload of %s", target.digest()).isEqualTo(201);
        return new Image(repository, Digests.sha256(manifest), manifest, List.of(config, target));
    }

    private static void assertFilesIntact(SharedFolderStorage storage, List<Blob> targets) throws IOException {
        for (Blob target : targets) {
            String hex = Digests.hex(target.digest());
            byte[] stored = storage.read("blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
            assertThat(stored).as("the file of re-uploaded %s", target.digest()).isNotNull();
            assertThat(Digests.sha256(stored)).as("the file of re-uploaded %s", target.digest())
                    .isEqualTo(target.digest());
        }
    }

    /**
     * {@code count} blobs that nothing references, untouched for an hour: a row each, a small file at the blob's
     * path, and a blob candidate (the trigger would have queued it when its last link went).
     */
    static void seedFiller(DataSource dataSource, Path root, int count, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        HexFormat hex = HexFormat.of();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement blob = connection.prepareStatement("insert into registry.blob (digest, size, "
                        + "storage_key, created_at, last_touched_at) values (?, 16, ?, now() - interval '1 hour', "
                        + "now() - interval '1 hour')");
                PreparedStatement candidate = connection.prepareStatement(
                        "insert into registry.gc_blob_candidate (digest) values (?)")) {
            connection.setAutoCommit(false);
            byte[] bytes = new byte[32];
            for (int i = 0; i < count; i++) {
                random.nextBytes(bytes);
                String h = hex.formatHex(bytes);
                String key = "blobs/sha256/" + h.substring(0, 2) + "/" + h + "/data";
                Path file = root.resolve(key);
                Files.createDirectories(file.getParent());
                Files.write(file, new byte[16]);
                blob.setString(1, "sha256:" + h);
                blob.setString(2, key);
                blob.addBatch();
                candidate.setString(1, "sha256:" + h);
                candidate.addBatch();
                if (i % 1000 == 999 || i == count - 1) {
                    blob.executeBatch();
                    candidate.executeBatch();
                }
            }
            connection.commit();
        }
    }

    /**
     * Watches the pending deletions: their number only grows while blob rows are swept and only shrinks while the
     * object collector deletes, so a drop below the highest number seen means the object collector is at work.
     */
    static final class PendingWatch {
        final AtomicLong maxPending = new AtomicLong();
        private final DataSource dataSource;

        PendingWatch(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /** Waits (bounded) until {@code digest} can be re-uploaded at the moment sought, or is past it. */
        Meeting awaitChance(Connection connection, String digest, long deadline) throws SQLException {
            boolean seenPending = false;
            while (System.nanoTime() < deadline) {
                boolean pending = pending(connection, digest);
                long count = count(connection);
                long max = maxPending.accumulateAndGet(count, Math::max);
                boolean deleting = count < max - BATCH;
                if (pending && deleting) {
                    return Meeting.DURING_OBJECT_DELETION;
                }
                if (!pending && (seenPending || blobRowGone(connection, digest))) {
                    return Meeting.AFTER_DELETION;
                }
                seenPending |= pending;
                GcRuns.pause(3);
            }
            throw new AssertionError("the sweep did not reach " + digest + " within the limit (" + dataSource + ")");
        }

        boolean pending(Connection connection, String digest) throws SQLException {
            return exists(connection, "select 1 from registry.gc_pending_object where digest = ?", digest);
        }

        private static boolean blobRowGone(Connection connection, String digest) throws SQLException {
            return !exists(connection, "select 1 from registry.blob where digest = ?", digest);
        }

        private static boolean exists(Connection connection, String sql, String digest) throws SQLException {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setString(1, digest);
                try (ResultSet rows = statement.executeQuery()) {
                    return rows.next();
                }
            }
        }

        private static long count(Connection connection) throws SQLException {
            try (PreparedStatement statement = connection.prepareStatement(
                    "select count(*) from registry.gc_pending_object"); ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
