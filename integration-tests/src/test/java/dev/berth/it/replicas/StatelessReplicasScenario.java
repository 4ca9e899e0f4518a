package dev.berth.it.replicas;

import static dev.berth.it.replicas.ReplicaApi.assertServes;
import static dev.berth.it.replicas.ReplicaApi.assertUnknown;
import static dev.berth.it.replicas.ReplicaApi.cacheCount;
import static dev.berth.it.replicas.ReplicaApi.cacheState;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.berth.devtools.infinispan.InfinispanServer;
import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.Digests;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;

/**
 * Three registry-api replicas on one PostgreSQL database, one storage and one Infinispan server (the shared
 * manifest cache), as behind a load balancer: every request may go to any replica. Each subclass runs the
 * scenario on one storage driver ({@link ReplicaStorage}): a shared folder, or an S3 bucket.
 * <ul>
 * <li>a replica starts while Infinispan is down, and uses it once it is up;</li>
 * <li>a chunked upload spread over the three replicas, and skopeo pushing two images at once to two replicas
 * and pulling them back from the others, byte for byte;</li>
 * <li>a delete or a tag move on one replica is seen by the others at once, though they had it cached;</li>
 * <li>concurrent pushes of one blob and of one tag from every replica end consistent: one stored copy, and
 * the tag that PostgreSQL holds (the last writer) served everywhere, and no upload left in the storage;</li>
 * <li>Infinispan stopped in the middle: every replica keeps serving and stays ready, and uses the cache again
 * once Infinispan is back;</li>
 * <li>SIGTERM to a replica during a pull and an upload: both finish.</li>
 * </ul>
 * Berth only.
 */
abstract class StatelessReplicasScenario extends ReplicaScenario {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final Duration CACHE_RECOVERY = Duration.ofSeconds(60);

    private int infinispanPort;
    private InfinispanServer infinispan;
    private Map<String, String> replicaProperties;
    private final List<RegistryProcess> replicas = new ArrayList<>();
    private RegistryProcess a;
    private RegistryProcess b;
    private RegistryProcess c;
    private String stateBeforeInfinispan;

    @BeforeAll
    void startReplicas(ItEnvironment environment) {
        if (!againstBerth()) {
            return;
        }
        infinispanPort = FreePorts.loopbackPort();
        replicaProperties = new LinkedHashMap<>();
        replicaProperties.put("registry.cache.type", "infinispan");
        replicaProperties.put("registry.cache.infinispan.hosts", "127.0.0.1:" + infinispanPort);
        replicaProperties.put("registry.cache.infinispan.username", InfinispanServer.USERNAME);
        replicaProperties.put("registry.cache.infinispan.password", InfinispanServer.PASSWORD);
        replicaProperties.put("registry.cache.infinispan.cache-configuration", InfinispanServer.CACHE_CONFIGURATION);
        replicaProperties.put("registry.cache.infinispan.retry-interval", "1s");
        // three replicas, PostgreSQL and Infinispan share two cores: a slow answer is not an outage here
        replicaProperties.put("registry.cache.infinispan.operation-timeout", "3s");
        replicaProperties.put("quarkus.log.category.\"dev.berth.registry.cache\".level", "DEBUG");

        // the first replica starts while Infinispan is down (and migrates the schema)
        a = start("replica-a");
        stateBeforeInfinispan = cacheState(a);
        infinispan = environment.track(InfinispanServer.start(ItPaths.newWorkDir("infinispan"), infinispanPort));
        b = start("replica-b");
        c = start("replica-c");
    }

    private RegistryProcess start(String name) {
        RegistryProcess replica = startReplica(name, replicaProperties);
        replicas.add(replica);
        return replica;
    }

    @AfterAll
    void stopReplicas() {
        for (int i = replicas.size() - 1; i >= 0; i--) {
            replicas.get(i).close();
        }
        if (infinispan != null) {
            infinispan.close();
        }
    }

    @Test
    @Order(1)
    void startsWithoutInfinispanAndUsesItOnceItIsUp() {
        assertThat(stateBeforeInfinispan).as("manifest cache of %s before Infinispan was started", a)
                .isEqualTo("connecting");
        for (RegistryProcess replica : replicas) {
            awaitCacheState(replica, "ok");
        }
    }

    @Test
    @Order(2)
    void chunkedUploadAndPushesSpreadOverTheReplicas() {
        String repository = "it/stateless/spread";
        byte[] layer = RandomContent.fresh("spread layer").bytes(5 * MIB + 333);
        String layerDigest = Digests.sha256(layer);
        int third = layer.length / 3;
        BlobUploads.State state = BlobUploads.start(a, repository);
        state = BlobUploads.patch(b, state, layer, 0, third);
        state = BlobUploads.patch(c, state, layer, third, 2 * third);
        assertThat(BlobUploads.status(a, state).offset()).isEqualTo(2L * third);
        state = BlobUploads.patch(a, state, layer, 2 * third, layer.length);
        BlobUploads.finish(b, state, layerDigest);

        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"seed\":\"" + System.nanoTime() + "\"}").getBytes(StandardCharsets.UTF_8);
        String configDigest = ReplicaApi.pushBlob(c, repository, config);
        byte[] manifest = ReplicaApi.imageManifest(configDigest, config.length, Map.of(layerDigest, (long) layer.length));
        ReplicaApi.putManifest(a, repository, "v1", manifest);
        for (RegistryProcess replica : replicas) {
            assertServes(replica, repository, "v1", manifest);
            assertThat(BlobUploads.get(replica, repository, layerDigest)).as("layer from %s", replica).isEqualTo(layer);
        }
    }

    @Test
    @Order(3)
    void skopeoPushesToTwoReplicasAtOnceAndPullsFromTheOthers() throws Exception {
        Tools.require("skopeo");
        try (ContainersTools tools = ContainersTools.create("stateless-skopeo")) {
            RandomContent random = RandomContent.fresh("stateless skopeo images");
            OciLayout first = smallImage(ItPaths.newWorkDir("stateless-image-1"), "one", random);
            OciLayout second = smallImage(ItPaths.newWorkDir("stateless-image-2"), "two", random);
            String repository = "it/stateless/skopeo";
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Command.Result> toA = pool.submit(() -> tools.skopeo("copy", "--preserve-digests",
                        "--dest-tls-verify=false", "oci:" + first.dir() + ":one",
                        "docker://" + a.ref(repository, "one")).runOk());
                Future<Command.Result> toB = pool.submit(() -> tools.skopeo("copy", "--preserve-digests",
                        "--dest-tls-verify=false", "oci:" + second.dir() + ":two",
                        "docker://" + b.ref(repository, "two")).runOk());
                toA.get(5, TimeUnit.MINUTES);
                toB.get(5, TimeUnit.MINUTES);
            } finally {
                pool.shutdownNow();
            }
            pullAndCompare(tools, first, "one", c.ref(repository, "one"), "stateless-pull-1");
            pullAndCompare(tools, second, "two", a.ref(repository, "two"), "stateless-pull-2");
            pullAndCompare(tools, first, "one", b.ref(repository, "one"), "stateless-pull-3");
        }
    }

    /** An OCI layout with one image: a config and two gzip layers of random content. */
    private static OciLayout smallImage(Path dir, String tag, RandomContent random) {
        OciLayout layout = OciLayout.create(dir);
        List<OciLayout.Layer> layers = List.of(
                layout.writeLayer(true, tar -> tar.file(tag + "/a.bin", random.bytes(MIB + 17))),
                layout.writeLayer(true, tar -> tar.file(tag + "/b.bin", random.bytes(300 * KIB + 5))));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", "amd64");
        config.put("os", "linux");
        layout.writeIndexJson(layout.writeImage(config, layers).manifest(), tag);
        return layout;
    }

    private static void pullAndCompare(ContainersTools tools, OciLayout source, String tag, String remote, String dir) {
        OciLayout copy = OciLayout.create(ItPaths.newWorkDir(dir));
        tools.skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "docker://" + remote,
                "oci:" + copy.dir() + ":" + tag).runOk();
        assertThat(copy.tagged(tag).digest()).as("manifest digest pulled from %s", remote)
                .isEqualTo(source.tagged(tag).digest());
        assertThat(copy.verifiedBlobs()).as("blobs pulled from %s", remote)
                .containsAllEntriesOf(onlyReferenced(source, tag));
        assertThat(copy.readBlob(source.tagged(tag).digest())).isEqualTo(source.readBlob(source.tagged(tag).digest()));
    }

    /** The blobs of the image {@code tag} in {@code layout}: manifest, config, layers. */
    private static Map<String, Long> onlyReferenced(OciLayout layout, String tag) {
        Map<String, Long> blobs = new LinkedHashMap<>();
        Descriptor top = layout.tagged(tag);
        blobs.put(top.digest(), top.size());
        var manifest = layout.readJsonBlob(top.digest());
        blobs.put(manifest.path("config").path("digest").asText(), manifest.path("config").path("size").asLong());
        for (var layer : manifest.path("layers")) {
            blobs.put(layer.path("digest").asText(), layer.path("size").asLong());
        }
        return blobs;
    }

    @Test
    @Order(4)
    void deletesOnOneReplicaAre404OnTheOthersAtOnce() {
        String repository = "it/stateless/deletes";
        double hitsBefore = totalHits();
        for (int round = 0; round < 6; round++) {
            RegistryProcess writer = replicas.get(round % 3);
            byte[] manifest = pushImage(writer, repository, "keep-" + round, round);
            String digest = Digests.sha256(manifest);
            ReplicaApi.putManifest(writer, repository, "drop-" + round, manifest);
            // every replica reads it twice: the cache holds the tags and the manifest now
            for (int i = 0; i < 2; i++) {
                for (RegistryProcess replica : replicas) {
                    assertServes(replica, repository, "drop-" + round, manifest);
                    assertServes(replica, repository, "keep-" + round, manifest);
                    assertServes(replica, repository, digest, manifest);
                }
            }
            RegistryProcess deleter = replicas.get((round + 1) % 3);
            ReplicaApi.delete(deleter, repository, "drop-" + round);
            for (RegistryProcess replica : replicas) {
                assertUnknown(replica, repository, "drop-" + round);
                assertServes(replica, repository, "keep-" + round, manifest);
            }
            ReplicaApi.delete(replicas.get((round + 2) % 3), repository, digest);
            for (RegistryProcess replica : replicas) {
                assertUnknown(replica, repository, digest);
                assertUnknown(replica, repository, "keep-" + round);
            }
        }
        assertThat(totalHits()).as("the replicas answered from the cache before the deletes").isGreaterThan(hitsBefore + 30);
    }

    @Test
    @Order(5)
    void aTagMovedOnOneReplicaIsServedByTheOthersAtOnce() {
        String repository = "it/stateless/moves";
        byte[] previous = null;
        for (int round = 0; round < 6; round++) {
            RegistryProcess writer = replicas.get(round % 3);
            byte[] manifest = pushImage(writer, repository, "latest", 100 + round);
            for (RegistryProcess replica : replicas) {
                assertServes(replica, repository, "latest", manifest);
                assertServes(replica, repository, "latest", manifest);
                if (previous != null) {
                    assertServes(replica, repository, Digests.sha256(previous), previous);
                }
            }
            previous = manifest;
        }
    }

    @Test
    @Order(6)
    void concurrentPushesOfOneBlobAndOneTagEndConsistent() throws Exception {
        String repository = "it/stateless/race";
        byte[] blob = RandomContent.fresh("raced blob").bytes(3 * MIB + 7);
        String digest = Digests.sha256(blob);
        int pushers = 6;
        CyclicBarrier go = new CyclicBarrier(pushers);
        ExecutorService pool = Executors.newFixedThreadPool(pushers);
        try {
            List<Future<String>> pushes = new ArrayList<>();
            for (int i = 0; i < pushers; i++) {
                RegistryProcess replica = replicas.get(i % 3);
                boolean chunked = i >= 3;
                pushes.add(pool.submit(() -> {
                    go.await(30, TimeUnit.SECONDS);
                    if (!chunked) {
                        return ReplicaApi.pushBlob(replica, repository, blob);
                    }
                    BlobUploads.State state = BlobUploads.start(replica, repository);
                    state = BlobUploads.patch(replica, state, blob, 0, MIB);
                    state = BlobUploads.patch(replica, state, blob, MIB, blob.length);
                    BlobUploads.finish(replica, state, digest);
                    return digest;
                }));
            }
            for (Future<String> push : pushes) {
                assertThat(push.get(3, TimeUnit.MINUTES)).isEqualTo(digest);
            }

            assertThat(count("select count(*) from registry.blob where digest = ?", digest)).as("blob rows").isEqualTo(1);
            assertThat(storage.storedCopies(digest)).as("stored copies of %s", digest).isEqualTo(1);
            assertThat(storage.uploadLeftovers()).as("upload leftovers in %s", storage).isZero();
            for (RegistryProcess replica : replicas) {
                assertThat(BlobUploads.get(replica, repository, digest)).as("blob from %s", replica).isEqualTo(blob);
            }

            // the same tag, pushed by every replica at once, round after round
            for (int round = 0; round < 4; round++) {
                List<byte[]> manifests = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    manifests.add(pushImageBlobs(replicas.get(i), repository, 1000 * (round + 1) + i));
                }
                CyclicBarrier together = new CyclicBarrier(3);
                List<Future<Integer>> tagPushes = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    RegistryProcess replica = replicas.get(i);
                    byte[] manifest = manifests.get(i);
                    tagPushes.add(pool.submit(() -> {
                        together.await(30, TimeUnit.SECONDS);
                        return ReplicaApi.putManifestResponse(replica, repository, "race", manifest).statusCode();
                    }));
                }
                for (Future<Integer> push : tagPushes) {
                    assertThat(push.get(2, TimeUnit.MINUTES)).as("status of a concurrent tag push").isEqualTo(201);
                }
                String winner = tagInDatabase(repository, "race");
                byte[] expected = manifests.stream().filter(m -> Digests.sha256(m).equals(winner)).findFirst()
                        .orElseThrow(() -> new AssertionError("the tag names " + winner + ", none of the pushed manifests"));
                for (int i = 0; i < 2; i++) {
                    for (RegistryProcess replica : replicas) {
                        assertServes(replica, repository, "race", expected);
                    }
                }
                System.out.printf("[berth-it] round %d of concurrent tag pushes: %s won%n", round, winner);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(7)
    void infinispanOutageIsServedFromPostgresAndTheCacheIsUsedAgain() {
        String repository = "it/stateless/outage";
        byte[] manifest = pushImage(a, repository, "v1", 7);
        String digest = Digests.sha256(manifest);
        byte[] other = pushImage(b, repository, "v2", 8);
        for (RegistryProcess replica : replicas) {
            assertServes(replica, repository, "v1", manifest);
            assertServes(replica, repository, "v1", manifest);
        }

        infinispan.stop();
        try {
            for (int i = 0; i < 3; i++) {
                for (RegistryProcess replica : replicas) {
                    assertServes(replica, repository, "v1", manifest);
                    assertServes(replica, repository, digest, manifest);
                }
            }
            for (RegistryProcess replica : replicas) {
                awaitCacheState(replica, "degraded");
                assertThat(ReplicaApi.readiness(replica).path("status").asText()).as("%s stays ready", replica)
                        .isEqualTo("UP");
                assertThat(cacheCount(replica, "error")).as("cache errors counted by %s", replica).isPositive();
            }
            // changes meanwhile are served right, and not undone when the cache returns
            ReplicaApi.delete(c, repository, "v2");
            for (RegistryProcess replica : replicas) {
                assertUnknown(replica, repository, "v2");
            }
        } finally {
            infinispan.restart();
        }
        for (RegistryProcess replica : replicas) {
            awaitCacheState(replica, "ok");
        }
        for (RegistryProcess replica : replicas) {
            double hits = cacheCount(replica, "hit");
            assertServes(replica, repository, "v1", manifest);
            assertServes(replica, repository, "v1", manifest);
            assertServes(replica, repository, digest, manifest);
            assertThat(cacheCount(replica, "hit")).as("%s uses the cache again", replica).isGreaterThan(hits);
            assertUnknown(replica, repository, "v2");
            assertServes(replica, repository, Digests.sha256(other), other);
        }
    }

    @Test
    @Order(8)
    void sigtermLetsAPullAndAnUploadInFlightFinish() throws Exception {
        RegistryProcess d = start("replica-d");
        String repository = "it/stateless/shutdown";
        byte[] big = RandomContent.fresh("pulled during shutdown").bytes(40 * MIB + 1);
        String bigDigest = ReplicaApi.pushBlob(a, repository, big);
        byte[] upload = RandomContent.fresh("uploaded during shutdown").bytes(6 * MIB + 9);
        String uploadDigest = Digests.sha256(upload);
        BlobUploads.State state = BlobUploads.start(b, repository);
        state = BlobUploads.patch(b, state, upload, 0, MIB);

        HttpClient client = Http.newClient();
        // the pull: read slowly, so that it is still streaming when the replica is told to stop
        HttpRequest pull = HttpRequest.newBuilder(ReplicaApi.uri(d, "/v2/" + repository + "/blobs/" + bigDigest))
                .timeout(Duration.ofMinutes(2)).GET().build();
        HttpResponse<InputStream> pulling = client.send(pull, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(pulling.statusCode()).isEqualTo(200);
        InputStream body = pulling.body();
        byte[] head = body.readNBytes(MIB);
        CompletableFuture<byte[]> rest = CompletableFuture.supplyAsync(() -> readSlowly(body, big.length - MIB));

        // the upload: a chunk that trickles in
        SlowBodyPublisher chunk = new SlowBodyPublisher(upload, MIB, upload.length, 2 * MIB, Duration.ofMillis(60));
        HttpRequest patch = BlobUploads.patchRequest(d, state, MIB, upload.length,
                HttpRequest.BodyPublishers.fromPublisher(chunk, chunk.contentLength()));
        CompletableFuture<HttpResponse<byte[]>> uploading = client.sendAsync(patch, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(chunk.fastPartSent().await(60, TimeUnit.SECONDS)).as("the upload started").isTrue();
        assertThat(uploading).as("the chunk is still streaming").isNotDone();
        assertThat(rest).as("the pull is still streaming").isNotDone();

        d.process().sigterm();
        // from now on the replica takes no new request (503, or the connection is refused once it is gone)
        int status = 200;
        for (int i = 0; i < 50 && status == 200; i++) {
            Thread.sleep(100);
            status = Http.statusOrMinusOne(ReplicaApi.uri(d, "/v2/"));
        }
        assertThat(status).as("a new request to %s after SIGTERM", d).isIn(503, -1);

        byte[] pulled = rest.get(90, TimeUnit.SECONDS);
        byte[] whole = new byte[head.length + pulled.length];
        System.arraycopy(head, 0, whole, 0, head.length);
        System.arraycopy(pulled, 0, whole, head.length, pulled.length);
        assertThat(whole.length).as("bytes pulled across the SIGTERM").isEqualTo(big.length);
        assertThat(Digests.sha256(whole)).as("content pulled across the SIGTERM").isEqualTo(bigDigest);

        HttpResponse<byte[]> patched = uploading.get(90, TimeUnit.SECONDS);
        assertThat(patched.statusCode()).as("chunk sent across the SIGTERM%s", Http.describe(patch, patched, null))
                .isEqualTo(202);
        assertThat(BlobUploads.rangeEnd(patched, "after the SIGTERM")).isEqualTo(upload.length - 1L);
        OptionalInt exit = d.process().awaitExit(Duration.ofSeconds(60));
        assertThat(exit).as("%s exits after its requests finished", d).isPresent();
        System.out.printf("[berth-it] %s exited with status %d after SIGTERM%n", d, exit.getAsInt());

        // the upload is finished on another replica
        BlobUploads.finish(c, new BlobUploads.State(state.location(), upload.length), uploadDigest);
        assertThat(BlobUploads.get(a, repository, uploadDigest)).isEqualTo(upload);
    }

    /** Reads the rest of a pull at about 8 MiB/s, so that it spans the SIGTERM by a few seconds. */
    private static byte[] readSlowly(InputStream in, int expected) {
        try (in) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(expected);
            byte[] buffer = new byte[256 * KIB];
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            long nextPause = MIB;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                if (out.size() >= nextPause) {
                    nextPause += MIB;
                    Thread.sleep(125);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("pull took longer than 90 s");
                }
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new AssertionError("the pull broke off: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Pushes a config and a layer (distinct per {@code seed}) and a manifest under {@code tag}; returns the manifest. */
    private static byte[] pushImage(RegistryProcess replica, String repository, String tag, int seed) {
        byte[] manifest = pushImageBlobs(replica, repository, seed);
        ReplicaApi.putManifest(replica, repository, tag, manifest);
        return manifest;
    }

    /** Pushes a config and a layer and returns the manifest over them (not pushed). */
    private static byte[] pushImageBlobs(RegistryProcess replica, String repository, int seed) {
        byte[] layer = RandomContent.fresh("layer " + seed).bytes(2 * KIB + seed);
        String layerDigest = ReplicaApi.pushBlob(replica, repository, layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"seed\":" + seed + ",\"at\":" + System.nanoTime() + "}").getBytes(StandardCharsets.UTF_8);
        String configDigest = ReplicaApi.pushBlob(replica, repository, config);
        return ReplicaApi.imageManifest(configDigest, config.length, Map.of(layerDigest, (long) layer.length));
    }

    private double totalHits() {
        double hits = 0;
        for (RegistryProcess replica : replicas) {
            hits += cacheCount(replica, "hit");
        }
        return hits;
    }

    private static void awaitCacheState(RegistryProcess replica, String state) {
        await(() -> cacheState(replica).equals(state), CACHE_RECOVERY,
                () -> "manifest cache of " + replica + " is " + cacheState(replica) + ", not " + state + "\n"
                        + replica.describe());
    }

    private static void await(BooleanSupplier condition, Duration limit, Supplier<String> message) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message.get());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private DataSource db() {
        return database.dataSource(databaseName);
    }

    private long count(String sql, String parameter) throws SQLException {
        try (Connection connection = db().getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The digest the tag names in PostgreSQL: the truth every replica must serve. */
    private String tagInDatabase(String repository, String tag) throws SQLException {
        String sql = "select m.digest from registry.tag t join registry.manifest m on m.id = t.manifest_id "
                + "join registry.repository r on r.id = t.repository_id where r.name = ? and t.name = ?";
        try (Connection connection = db().getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, repository);
            statement.setString(2, tag);
            try (ResultSet rs = statement.executeQuery()) {
                assertThat(rs.next()).as("tag %s:%s in the database", repository, tag).isTrue();
                return rs.getString(1);
            }
        }
    }
}
