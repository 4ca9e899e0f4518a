package dev.berth.it.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.e2e.RegistryClient.Image;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.images.RandomContent;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Process faults on the {@link E2eStack}, each while work goes on, each leaving the stack healthy:
 * <ul>
 * <li>kill -9 of a registry-api replica while clients push: their calls go to the other replica (as behind a load
 * balancer), nothing is lost — every image pushed pulls back byte-identical from the survivor, and from the killed
 * replica once it is restarted;</li>
 * <li>kill -9 of catalog-service while clients push: restarted, it catches up from the outbox and lists every
 * repository and tag pushed, with the right digests;</li>
 * <li>kill -9 of the gc-worker holding a run's orphan scan: the other worker takes the step over once the lease has
 * run out, the run completes and every orphan is gone.</li>
 * </ul>
 */
@ExtendWith(RegistryExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessFaultsIT {

    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final int PUSHERS = 3;
    /** Orphan objects for the gc-worker fault: enough pages (gc.orphans.page-size of the stack) to kill a worker in. */
    private static final int ORPHANS = 1500;

    private E2eStack stack;
    private final RandomContent random = RandomContent.fresh("process faults");

    @BeforeAll
    void start() {
        stack = E2eStack.get();
        stack.awaitHealthy();
    }

    @AfterEach
    void healthy() {
        stack.awaitHealthy();
    }

    @Test
    @Order(1)
    void registryReplicaKilledDuringPushesLosesNothing() {
        RegistryClient ci = stack.client(E2eStack.CI);
        StackProcess victim = stack.registryA();
        Pushes pushes = new Pushes(ci, "ci/faults/replica-");
        pushes.start();
        pushes.awaitCount(3 * PUSHERS);
        System.out.printf("[berth-it] killing %s (pid %d) after %d pushes%n", victim, victim.pid(), pushes.count());
        victim.kill9();
        int atKill = pushes.count();
        pushes.awaitCount(atKill + 3 * PUSHERS);
        pushes.stop();
        pushes.assertNoErrors();
        System.out.printf("[berth-it] %d images pushed, %d calls failed over, %d uploads started again%n",
                pushes.images.size(), ci.failovers(), ci.restartedUploads());
        assertThat(ci.failovers()).as("calls that met the killed replica went to the other").isPositive();

        RegistryClient survivor = stack.client(E2eStack.CI, stack.registryB());
        pushes.images.forEach(survivor::verify);
        victim.start();
        RegistryClient restarted = stack.client(E2eStack.CI, victim);
        pushes.images.forEach(restarted::verify);
    }

    @Test
    @Order(2)
    void catalogServiceKilledDuringPushesCatchesUp() {
        RegistryClient ci = stack.client(E2eStack.CI);
        Pushes pushes = new Pushes(ci, "ci/faults/catalog-");
        pushes.start();
        pushes.awaitCount(2 * PUSHERS);
        stack.catalog().kill9();
        int atKill = pushes.count();
        pushes.awaitCount(atKill + 3 * PUSHERS);
        pushes.stop();
        pushes.assertNoErrors();
        stack.catalog().start();

        Map<String, Map<String, String>> expected = new TreeMap<>();
        for (Image image : pushes.images) {
            expected.computeIfAbsent(image.repository(), r -> new TreeMap<>()).put(image.tag(), image.digest());
        }
        long deadline = System.nanoTime() + SETTLE.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = catalogDifference(expected);
            if (last == null) {
                return;
            }
            E2eStack.pause(Duration.ofMillis(300));
        }
        throw new AssertionError("catalog-service does not show what was pushed within " + SETTLE.toSeconds() + " s: "
                + last + "\n" + stack.catalog().describe());
    }

    /** What the catalog (as the administrator) shows differently from {@code expected} (repository → tag → digest). */
    private String catalogDifference(Map<String, Map<String, String>> expected) {
        for (Map.Entry<String, Map<String, String>> repository : expected.entrySet()) {
            JsonNode tags;
            try {
                tags = stack.getJson(stack.catalog(), "/api/v1/repositories/" + repository.getKey() + "/tags?size=500",
                        E2eStack.ADMIN, "registry:catalog:*");
            } catch (AssertionError notYet) {
                return repository.getKey() + ": " + notYet.getMessage();
            }
            Map<String, String> shown = new TreeMap<>();
            tags.path("items").forEach(tag -> shown.put(tag.path("name").asText(), tag.path("digest").asText()));
            if (!shown.equals(repository.getValue())) {
                return repository.getKey() + ": catalog " + shown + ", pushed " + repository.getValue();
            }
        }
        return null;
    }

    @Test
    @Order(3)
    void gcWorkerKilledMidRunIsTakenOver() throws Exception {
        String prefix = "blobs/e2e-orphan-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        try (S3AsyncClient s3 = stack.s3Client()) {
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < ORPHANS; i++) {
                String key = prefix + i + "/data";
                puts.add(s3.putObject(b -> b.bucket(E2eStack.BUCKET).key(key), AsyncRequestBody.fromBytes(random.bytes(64))));
                if (puts.size() >= 64) {
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                    puts.clear();
                }
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
            // orphans older than the grace period only
            E2eStack.pause(E2eStack.GC_GRACE.plusSeconds(1));

            String run = stack.gcRuns(stack.gcWorkerA()).start(List.of("orphans"), false, Duration.ofMinutes(2));
            StackProcess victim = awaitOrphanScanner(run);
            StackProcess survivor = victim == stack.gcWorkerA() ? stack.gcWorkerB() : stack.gcWorkerA();
            System.out.printf("[berth-it] killing %s (pid %d) while it scans the orphans of run %s%n", victim,
                    victim.pid(), run);
            victim.kill9();
            JsonNode finished = stack.gcRuns(survivor).awaitFinished(run, Duration.ofMinutes(2));
            assertThat(finished.path("state").asText()).as("run %s", finished).isEqualTo("completed");
            assertThat(stack.queryString("select worker from gc.run_step where run_id = '" + run
                    + "' and collector = 'orphans'")).as("who finished the orphan scan")
                    .isEqualTo(E2eStack.gcWorkerName(survivor));
            assertThat(stack.queryString("select finished_at from gc.run_worker where run_id = '" + run + "' and worker = '"
                    + E2eStack.gcWorkerName(victim) + "'")).as("the killed worker never finished its part").isNull();
            long left = s3.listObjectsV2(b -> b.bucket(E2eStack.BUCKET).prefix(prefix)).join().contents().stream()
                    .map(S3Object::key).count();
            assertThat(left).as("orphans left under %s after run %s", prefix, finished).isZero();
            victim.start();
        }
    }

    /** The gc-worker that holds the run's orphans step while the step is unfinished. */
    private StackProcess awaitOrphanScanner(String run) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String holder = stack.queryString("select case when finished_at is null then worker else '(finished)' end "
                    + "from gc.run_step where run_id = '" + run + "' and collector = 'orphans'");
            if ("(finished)".equals(holder)) {
                throw new AssertionError("the orphan scan of run " + run + " finished before a worker could be killed "
                        + "in it: more orphans (" + ORPHANS + ") or smaller pages are needed");
            }
            for (StackProcess worker : stack.gcWorkers()) {
                if (E2eStack.gcWorkerName(worker).equals(holder)) {
                    return worker;
                }
            }
            E2eStack.pause(Duration.ofMillis(20));
        }
        throw new AssertionError("no worker claimed the orphan scan of run " + run);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** {@value #PUSHERS} client threads pushing fresh small images (monolithic and chunked uploads) until stopped. */
    private final class Pushes {
        private final RegistryClient client;
        private final String repositoryPrefix;
        final Queue<Image> images = new ConcurrentLinkedQueue<>();
        private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicInteger count = new AtomicInteger();
        private final Map<Integer, Thread> threads = new ConcurrentHashMap<>();

        Pushes(RegistryClient client, String repositoryPrefix) {
            this.client = client;
            this.repositoryPrefix = repositoryPrefix;
        }

        void start() {
            for (int t = 0; t < PUSHERS; t++) {
                int thread = t;
                Thread pusher = new Thread(() -> push(thread), "e2e-pusher-" + t);
                threads.put(t, pusher);
                pusher.start();
            }
        }

        private void push(int thread) {
            for (int i = 0; !stopping.get(); i++) {
                try {
                    Image image = RegistryClient.randomImage(repositoryPrefix + thread, "p-" + i, random, 2, 512 * 1024,
                            List.of());
                    client.push(image, i % 2 == 1);
                    images.add(image);
                    count.incrementAndGet();
                } catch (Throwable e) {
                    errors.add(e);
                    return;
                }
            }
        }

        int count() {
            return count.get();
        }

        void awaitCount(int target) {
            long deadline = System.nanoTime() + SETTLE.toNanos();
            while (count.get() < target && errors.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("only " + count.get() + " of " + target + " pushes within "
                            + SETTLE.toSeconds() + " s");
                }
                E2eStack.pause(Duration.ofMillis(20));
            }
        }

        void stop() {
            stopping.set(true);
            for (Thread thread : threads.values()) {
                try {
                    thread.join(Duration.ofMinutes(2).toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }

        void assertNoErrors() {
            if (!errors.isEmpty()) {
                AssertionError failure = new AssertionError(errors.size() + " push(es) failed; the first: "
                        + errors.peek().getMessage(), errors.peek());
                throw failure;
            }
        }
    }
}
