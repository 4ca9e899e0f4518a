package dev.berth.it.gc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.gc.RegistryCalls.Blob;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.GcWorkerProcess;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.RandomContent;
import dev.berth.it.replicas.ReplicaStorage;
import dev.berth.it.replicas.S3BucketStorage;
import dev.berth.it.replicas.SharedFolderStorage;

/**
 * Online garbage collection under a concurrent client load, on the filesystem driver and on S3 (S3Proxy): one
 * registry-api and one gc-worker (grace 2 s, blob HEADs touch after 0.5 s) on a fresh database and store; runs
 * started through gc-worker's API one after the other (every fourth a full run, the others incremental) while
 * {@value #DEFAULT_THREADS} client threads, each in repositories of its own, push images of fresh and shared blobs
 * (HEAD first, cross-repository mounts, monolithic and chunked uploads), re-tag, delete tags, manifests and whole
 * repositories, leave uploads without a manifest, and pull and verify what they pushed. Shared blobs come back after
 * their images were deleted and swept: the re-uploads race the sweep.
 * <p>
 * A manifest PUT may be refused with MANIFEST_BLOB_UNKNOWN when a blob went between the client's HEAD and the PUT
 * (a client waiting longer than the grace period): the client pushes again, as real clients do, and it is counted.
 * Anything else unexpected fails the test: a pull that differs, a blob gone under a manifest, a run that failed.
 * <p>
 * Afterwards: every image pushed and not deleted pulls back byte-identical; every stored object is named by a row or
 * within the grace period; after the grace period and a full run nothing unreferenced remains, in the tables or the
 * store, and every image still pulls. Bounded: {@code -Dberth.it.gc.stressSeconds} (default
 * {@value #DEFAULT_SECONDS}) of load per driver, {@code -Dberth.it.gc.stressThreads} clients.
 */
@ExtendWith(RegistryExtension.class)
class GcStressIT {

    static final int DEFAULT_SECONDS = 90;
    static final int DEFAULT_THREADS = 4;
    static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration RUN_LIMIT = Duration.ofMinutes(2);
    /** Bound of the wait for postponed candidates: grace, gc-worker's 30 s for a candidate a push held locked, slack. */
    static final Duration CANDIDATES_DUE = Duration.ofSeconds(60);
    private static final int POOL_SIZE = 24;
    private static final int MAX_PUSH_ATTEMPTS = 8;

    private final int seconds = Integer.getInteger("berth.it.gc.stressSeconds", DEFAULT_SECONDS);
    private final int threads = Integer.getInteger("berth.it.gc.stressThreads", DEFAULT_THREADS);

    @BeforeEach
    void onlyAgainstBerth() {
        Assumptions.assumeTrue(ItEnvironment.selectedRegistry().equals("berth"), "garbage collection is Berth's");
    }

    @Test
    void filesystem(ItEnvironment environment) throws Exception {
        stress(environment, "filesystem", environment.track(new SharedFolderStorage("gc-stress-filesystem")));
    }

    @Test
    void s3(ItEnvironment environment) throws Exception {
        stress(environment, "s3", environment.track(new S3BucketStorage("gc-stress-s3")));
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One image a client pushed: where, its manifest and the blobs (config first). */
    record Image(String repository, String digest, byte[] manifest, List<Blob> blobs) {
    }

    /** What a client's repository holds now: manifests by digest, tags. */
    static final class RepositoryModel {
        final Map<String, Image> manifests = new LinkedHashMap<>();
        final Map<String, String> tags = new LinkedHashMap<>();
    }

    /** Counts of one driver's run, printed at the end. */
    static final class Counts {
        final AtomicLong pushed = new AtomicLong();
        final AtomicLong retried = new AtomicLong();
        final AtomicLong retagged = new AtomicLong();
        final AtomicLong tagsDeleted = new AtomicLong();
        final AtomicLong manifestsDeleted = new AtomicLong();
        final AtomicLong repositoriesDeleted = new AtomicLong();
        final AtomicLong abandoned = new AtomicLong();
        final AtomicLong uploads = new AtomicLong();
        final AtomicLong reuploads = new AtomicLong();
        final AtomicLong mounted = new AtomicLong();
        final AtomicLong headHits = new AtomicLong();
        final AtomicLong pulls = new AtomicLong();
        final AtomicLong blobsVerified = new AtomicLong();
        final AtomicLong runs = new AtomicLong();
        final AtomicLong fullRuns = new AtomicLong();
        final Map<String, AtomicLong> collected = new ConcurrentHashMap<>();
    }

    private void stress(ItEnvironment environment, String driver, ReplicaStorage storage) throws Exception {
        GcWorkerProcess.runnerJar();
        RegistryProcess.runnerJar();
        EmbeddedDatabase database = environment.database();
        String databaseName = "gc_stress_" + driver;
        database.createDatabase(databaseName);

        Map<String, String> registryProperties = new LinkedHashMap<>(storage.registryProperties());
        registryProperties.put("registry.gc.touch-interval", "PT0.5S");
        RegistryProcess registry = environment.track(RegistryProcess.start("gc-stress-" + driver, database,
                databaseName, storage.filesystemRoot(), registryProperties));
        Map<String, String> workerProperties = new LinkedHashMap<>(storage.registryProperties());
        workerProperties.put("gc.grace", "PT" + GRACE.toSeconds() + "S");
        workerProperties.put("gc.batch-size", "50");
        workerProperties.put("gc.poll-interval", "PT0.2S");
        workerProperties.put("gc.schedule.enabled", "false");
        workerProperties.put("gc.auth.enabled", "false");
        GcWorkerProcess worker = environment.track(GcWorkerProcess.start("gc-stress-" + driver, database,
                databaseName, storage.filesystemRoot(), workerProperties));
        try {
            GcInvariants invariants = new GcInvariants(database.dataSource(databaseName), storage);
            GcRuns runs = new GcRuns(worker);
            RegistryCalls calls = new RegistryCalls(registry);
            Counts counts = new Counts();
            RandomContent seedSource = RandomContent.fresh("gc stress " + driver);
            List<Blob> pool = new ArrayList<>();
            for (int i = 0; i < POOL_SIZE; i++) {
                pool.add(Blob.of(seedSource.bytes(1024 + i * 997)));
            }
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicBoolean clientsDone = new AtomicBoolean();
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();

            Thread collector = new Thread(() -> collectWhileClientsRun(runs, clientsDone, failures, counts),
                    "gc-stress-runs");
            collector.start();
            List<Client> clients = new ArrayList<>();
            List<Thread> clientThreads = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Client client = new Client(i, calls, pool, seedSource.seed() + i, counts, failures, threads);
                clients.add(client);
                Thread thread = new Thread(() -> client.run(deadline), "gc-stress-client-" + i);
                clientThreads.add(thread);
                thread.start();
            }
            for (Thread thread : clientThreads) {
                thread.join(Duration.ofSeconds(seconds + 300).toMillis());
                assertThat(thread.isAlive()).as("%s still running long after its deadline", thread.getName()).isFalse();
            }
            clientsDone.set(true);
            collector.join(RUN_LIMIT.plusSeconds(30).toMillis());
            assertThat(collector.isAlive()).as("the run loop still running after the clients stopped").isFalse();
            assertNoFailures(failures, registry, worker);

            long verifiedAfterLoad = verifyAll(calls, clients);
            long inGrace = invariants.assertEveryObjectNamedOrInGrace(GRACE, Duration.ofSeconds(5));
            System.out.printf("[berth-it] gc stress %s, after the load: %s%n", driver, describe(counts));

            // the grace period of the last touches elapses, and postponed candidates come due; then full runs until
            // nothing unreferenced remains
            GcRuns.pause(GRACE.plusSeconds(1).toMillis());
            AssertionError last = null;
            int finalRuns = 0;
            while (finalRuns < 3) {
                finalRuns++;
                invariants.awaitCandidatesDue(CANDIDATES_DUE);
                JsonNode run = runs.run(null, RUN_LIMIT);
                record(counts, run, true);
                try {
                    invariants.assertNothingUnreferenced();
                    last = null;
                    break;
                } catch (AssertionError e) {
                    last = e;
                    System.out.printf("[berth-it] gc stress %s: after final run %d: %s%n", driver, finalRuns,
                            e.getMessage());
                }
            }
            if (last != null) {
                throw last;
            }
            long verifiedAfterFinal = verifyAll(calls, clients);
            assertThat(invariants.runs()).as("runs by state").doesNotContainKey("failed");

            Map<String, long[]> totals = invariants.totals();
            StringBuilder perCollector = new StringBuilder();
            totals.forEach((name, values) -> perCollector.append(' ').append(name).append('=').append(values[0])
                    .append(values[1] == 0 ? "" : " (" + values[1] + " errors)"));
            System.out.printf("[berth-it] gc stress %s: %d clients for %d s: %s; %d images verified after the load "
                    + "and %d after %d final run(s); %d objects unnamed but in grace after the load; reclaimed per "
                    + "collector (gc.run_result):%s; blob rows left %d; runs by state %s%n", driver, threads, seconds,
                    describe(counts), verifiedAfterLoad, verifiedAfterFinal, finalRuns, inGrace, perCollector,
                    invariants.blobRows(), invariants.runs());
            assertThat(counts.pushed.get()).as("images pushed").isPositive();
            assertThat(totals.getOrDefault("blobs", new long[2])[0]).as("blobs swept").isPositive();
            assertThat(totals.values().stream().mapToLong(v -> v[1]).sum()).as("collector errors %s", perCollector)
                    .isZero();
        } finally {
            ManagedProcess.stopAll(worker, registry);
        }
    }

    private static String describe(Counts counts) {
        return String.format("%d images pushed (%d pushes again after MANIFEST_BLOB_UNKNOWN), %d re-tags, %d tags, %d "
                + "manifests and %d repositories deleted, %d uploads without a manifest; %d blob uploads (%d re-uploads "
                + "of shared blobs), %d mounts, %d HEAD hits; %d pulls verified during the load (%d blobs, "
                + "digest-checked); %d runs (%d full), their results %s", counts.pushed.get(), counts.retried.get(),
                counts.retagged.get(), counts.tagsDeleted.get(), counts.manifestsDeleted.get(),
                counts.repositoriesDeleted.get(), counts.abandoned.get(), counts.uploads.get(), counts.reuploads.get(),
                counts.mounted.get(), counts.headHits.get(), counts.pulls.get(), counts.blobsVerified.get(),
                counts.runs.get(), counts.fullRuns.get(), counts.collected);
    }

    /** Runs one after the other while the clients work: every fourth a full run, the others incremental. */
    private static void collectWhileClientsRun(GcRuns runs, AtomicBoolean clientsDone, Queue<Throwable> failures,
            Counts counts) {
        try {
            long n = 0;
            while (!clientsDone.get() && failures.isEmpty()) {
                boolean full = ++n % 4 == 0;
                JsonNode run = runs.run(full ? null : GcRuns.INCREMENTAL, RUN_LIMIT);
                record(counts, run, full);
                GcRuns.pause(700);
            }
        } catch (Throwable e) {
            failures.add(e);
        }
    }

    private static void record(Counts counts, JsonNode run, boolean full) {
        counts.runs.incrementAndGet();
        if (full) {
            counts.fullRuns.incrementAndGet();
        }
        run.path("results").fields().forEachRemaining(e -> counts.collected
                .computeIfAbsent(e.getKey(), k -> new AtomicLong()).addAndGet(e.getValue().path("objects").asLong()));
    }

    private static void assertNoFailures(Queue<Throwable> failures, RegistryProcess registry, GcWorkerProcess worker) {
        if (failures.isEmpty()) {
            return;
        }
        AssertionError error = new AssertionError(failures.size() + " failures under the load, the first: "
                + failures.peek() + "\n" + registry.describe() + "\n" + worker.process().describe(), failures.peek());
        failures.stream().skip(1).limit(5).forEach(error::addSuppressed);
        throw error;
    }

    /** Every image the clients hold pulls byte-identical, by digest and by each of its tags; the number of images. */
    private static long verifyAll(RegistryCalls calls, List<Client> clients) {
        long images = 0;
        for (Client client : clients) {
            for (RepositoryModel model : client.repositories.values()) {
                for (Image image : model.manifests.values()) {
                    verify(calls, image, image.digest(), null);
                    images++;
                }
                model.tags.forEach((tag, digest) -> assertThat(calls.manifest(model.manifests.get(digest).repository(),
                        tag)).as("tag %s", tag).isEqualTo(model.manifests.get(digest).manifest()));
            }
        }
        return images;
    }

    /** Pulls an image by {@code reference} and checks the manifest's bytes and every blob's digest. */
    static void verify(RegistryCalls calls, Image image, String reference, Counts counts) {
        byte[] manifest = calls.manifest(image.repository(), reference);
        assertThat(manifest).as("manifest %s:%s (%s)", image.repository(), reference, image.digest()).isNotNull();
        assertThat(Arrays.equals(manifest, image.manifest())).as("manifest %s:%s is byte-identical",
                image.repository(), reference).isTrue();
        for (Blob blob : image.blobs()) {
            byte[] data = calls.blob(image.repository(), blob.digest());
            assertThat(data).as("blob %s of %s@%s", blob.digest(), image.repository(), image.digest()).isNotNull();
            assertThat(Digests.sha256(data)).as("digest of blob %s of %s@%s", blob.digest(), image.repository(),
                    image.digest()).isEqualTo(blob.digest());
            if (counts != null) {
                counts.blobsVerified.incrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One client thread: its own repositories, a bounded loop of random operations until the deadline. */
    static final class Client {
        /** Shared blobs ever uploaded by any client: an upload of one again is a re-upload. */
        private static final Set<String> UPLOADED_SHARED = ConcurrentHashMap.newKeySet();

        final Map<String, RepositoryModel> repositories = new LinkedHashMap<>();
        private final int id;
        private final RegistryCalls calls;
        private final List<Blob> pool;
        private final SplittableRandom random;
        private final RandomContent content;
        private final Counts counts;
        private final Queue<Throwable> failures;
        private final int clientCount;
        private int serial;

        Client(int id, RegistryCalls calls, List<Blob> pool, long seed, Counts counts, Queue<Throwable> failures,
                int clientCount) {
            this.id = id;
            this.calls = calls;
            this.pool = pool;
            this.random = new SplittableRandom(seed);
            this.content = new RandomContent(seed * 31 + 7);
            this.counts = counts;
            this.failures = failures;
            this.clientCount = clientCount;
            for (int i = 0; i < 3; i++) {
                repositories.put(repositoryName(id, i), new RepositoryModel());
            }
        }

        static String repositoryName(int client, int index) {
            return "gc-stress/c" + client + "/app-" + index;
        }

        void run(long deadline) {
            try {
                for (int operation = 0; operation < 100_000 && System.nanoTime() < deadline && failures.isEmpty();
                        operation++) {
                    step();
                }
            } catch (Throwable e) {
                failures.add(new AssertionError("client " + id + ": " + e.getMessage(), e));
            }
        }

        private void step() {
            String repository = repositoryName(id, random.nextInt(3));
            RepositoryModel model = repositories.get(repository);
            int dice = random.nextInt(100);
            if (dice < 30 || model.manifests.isEmpty()) {
                push(repository, model);
            } else if (dice < 38) {
                retag(repository, model);
            } else if (dice < 48) {
                deleteTag(repository, model);
            } else if (dice < 60) {
                deleteManifest(repository, model);
            } else if (dice < 62) {
                assertThat(calls.deleteRepository(repository)).as("DELETE of repository %s", repository).isTrue();
                model.manifests.clear();
                model.tags.clear();
                counts.repositoriesDeleted.incrementAndGet();
            } else if (dice < 68) {
                ensure(repository, randomLayer());
                counts.abandoned.incrementAndGet();
            } else {
                Image image = pick(model.manifests.values());
                List<String> tags = model.tags.entrySet().stream().filter(e -> e.getValue().equals(image.digest()))
                        .map(Map.Entry::getKey).toList();
                verify(calls, image, tags.isEmpty() || random.nextBoolean() ? image.digest() : pick(tags), counts);
                counts.pulls.incrementAndGet();
            }
        }

        private Blob randomLayer() {
            return random.nextBoolean() ? pick(pool) : Blob.of(content.bytes(256 + random.nextInt(32 * 1024)));
        }

        /** Pushes a new image under a new tag: its blobs (HEAD, mount or upload), then the manifest, again if refused. */
        private void push(String repository, RepositoryModel model) {
            String tag = "t" + (++serial);
            List<Blob> layers = new ArrayList<>();
            for (int i = 1 + random.nextInt(3); i > 0; i--) {
                Blob layer = randomLayer();
                if (layers.stream().noneMatch(l -> l.digest().equals(layer.digest()))) {
                    layers.add(layer);
                }
            }
            Blob config = Blob.of(("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"client\":\""
                    + id + "\",\"tag\":\"" + tag + "\",\"nonce\":\"" + content.bytes(4)[0] + random.nextLong()
                    + "\"}}}").getBytes(StandardCharsets.UTF_8));
            byte[] manifest = RegistryCalls.imageManifest(config, layers);
            List<Blob> blobs = new ArrayList<>();
            blobs.add(config);
            blobs.addAll(layers);
            for (int attempt = 1; ; attempt++) {
                for (Blob blob : blobs) {
                    ensure(repository, blob);
                }
                HttpResponse<byte[]> response = calls.putManifest(repository, tag, manifest);
                if (response.statusCode() == 201) {
                    break;
                }
                // MANIFEST_BLOB_UNKNOWN: a blob went between the HEAD and the PUT; push again, as a client would
                counts.retried.incrementAndGet();
                assertThat(attempt).as("pushes of %s:%s refused with MANIFEST_BLOB_UNKNOWN: %s", repository, tag,
                        new String(response.body(), StandardCharsets.UTF_8)).isLessThan(MAX_PUSH_ATTEMPTS);
            }
            Image image = new Image(repository, Digests.sha256(manifest), manifest, blobs);
            model.manifests.put(image.digest(), image);
            model.tags.put(tag, image.digest());
            counts.pushed.incrementAndGet();
        }

        /** Makes a blob present in a repository as clients do: HEAD first, sometimes a mount, else an upload. */
        private void ensure(String repository, Blob blob) {
            int dice = random.nextInt(100);
            if (dice < 50 && calls.exists(repository, blob.digest())) {
                counts.headHits.incrementAndGet();
                return;
            }
            if (dice >= 50 && dice < 65) {
                String from = repositoryName(random.nextInt(clientCount), random.nextInt(3));
                if (!from.equals(repository) && calls.mount(repository, blob.digest(), from)) {
                    counts.mounted.incrementAndGet();
                    return;
                }
            }
            calls.upload(repository, blob, random.nextBoolean());
            counts.uploads.incrementAndGet();
            if (pool.contains(blob) && !UPLOADED_SHARED.add(blob.digest())) {
                counts.reuploads.incrementAndGet();
            }
        }

        /** Puts an existing manifest under a new tag: its blobs are referenced, so it must never be refused. */
        private void retag(String repository, RepositoryModel model) {
            Image image = pick(model.manifests.values());
            String tag = "r" + (++serial);
            HttpResponse<byte[]> response = calls.putManifest(repository, tag, image.manifest());
            assertThat(response.statusCode()).as("re-tag of %s@%s as %s (its blobs are referenced): %s", repository,
                    image.digest(), tag, new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            model.tags.put(tag, image.digest());
            counts.retagged.incrementAndGet();
        }

        private void deleteTag(String repository, RepositoryModel model) {
            if (model.tags.isEmpty()) {
                return;
            }
            String tag = pick(model.tags.keySet());
            assertThat(calls.deleteManifest(repository, tag)).as("DELETE of tag %s:%s", repository, tag).isTrue();
            model.tags.remove(tag);
            counts.tagsDeleted.incrementAndGet();
        }

        private void deleteManifest(String repository, RepositoryModel model) {
            Image image = pick(model.manifests.values());
            assertThat(calls.deleteManifest(repository, image.digest())).as("DELETE of %s@%s", repository,
                    image.digest()).isTrue();
            model.manifests.remove(image.digest());
            model.tags.values().removeIf(image.digest()::equals);
            counts.manifestsDeleted.incrementAndGet();
        }

        private <T> T pick(java.util.Collection<T> items) {
            int index = random.nextInt(items.size());
            for (T item : items) {
                if (index-- == 0) {
                    return item;
                }
            }
            throw new IllegalStateException();
        }
    }
}
