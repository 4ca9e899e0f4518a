package dev.berth.it.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.e2e.RegistryClient.Blob;
import dev.berth.it.e2e.RegistryClient.Image;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.images.RandomContent;

/**
 * A bounded mixed load on the {@link E2eStack}: {@value #DEFAULT_THREADS} client threads over both registry-api replicas
 * for {@value #DEFAULT_SECONDS} s ({@code -Dberth.it.e2e.loadSeconds}, {@code -Dberth.it.e2e.loadThreads}). Each thread
 * pushes fresh images as the CI service account (monolithic and chunked uploads, a base layer its repository already
 * has, so HEAD finds it) and pulls images any thread pushed as the developer, checking every byte and digest. Zero
 * errors and zero corrupted images are allowed; at the end every image pushed pulls back byte-identical. The numbers
 * (requests, bytes, latencies p50/p99 per operation, throughput) go to the log.
 */
@ExtendWith(RegistryExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MixedLoadIT {

    static final int DEFAULT_SECONDS = 60;
    static final int DEFAULT_THREADS = 4;
    private static final int MAX_LAYER_BYTES = 1024 * 1024;

    private final int seconds = Integer.getInteger("berth.it.e2e.loadSeconds", DEFAULT_SECONDS);
    private final int threads = Integer.getInteger("berth.it.e2e.loadThreads", DEFAULT_THREADS);
    private E2eStack stack;

    @BeforeAll
    void start() {
        stack = E2eStack.get();
        stack.awaitHealthy();
    }

    @AfterAll
    void healthy() {
        if (stack != null) {
            stack.assertHealthy();
        }
    }

    @Test
    void mixedPushAndPullWithoutErrorsOrCorruption() throws InterruptedException {
        LoadMetrics metrics = new LoadMetrics();
        RegistryClient ci = stack.client(E2eStack.CI).recordingInto(metrics);
        RegistryClient developer = stack.client(E2eStack.DEVELOPER).recordingInto(metrics);
        List<Image> pushed = new CopyOnWriteArrayList<>();
        Queue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong corrupted = new AtomicLong();
        AtomicLong pushes = new AtomicLong();
        AtomicLong pulls = new AtomicLong();
        long seed = RandomContent.fresh("mixed load").seed();
        long started = System.nanoTime();
        long deadline = started + seconds * 1_000_000_000L;
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread client = new Thread(() -> {
                RandomContent random = new RandomContent(seed + thread);
                SplittableRandom choices = new SplittableRandom(seed - thread);
                String repository = "ci/load/client-" + thread;
                Blob base = Blob.of(random.bytes(256 * 1024));
                for (int i = 0; System.nanoTime() < deadline && errors.isEmpty(); i++) {
                    try {
                        if (pushed.size() < threads || choices.nextInt(100) < 40) {
                            Image image = RegistryClient.randomImage(repository, "t-" + i, random,
                                    1 + choices.nextInt(3), MAX_LAYER_BYTES, List.of(base));
                            ci.push(image, choices.nextBoolean());
                            pushed.add(image);
                            pushes.incrementAndGet();
                        } else {
                            developer.verify(pushed.get(choices.nextInt(pushed.size())));
                            pulls.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        if (String.valueOf(e.getMessage()).contains("byte-identical")) {
                            corrupted.incrementAndGet();
                        }
                        errors.add(Thread.currentThread().getName() + ": " + e);
                    }
                }
            }, "e2e-load-" + t);
            clients.add(client);
            client.start();
        }
        for (Thread client : clients) {
            client.join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        System.out.printf("[berth-it] mixed load: %d threads for %.1f s over %s and %s: %d images pushed, %d pulled and "
                + "verified, %d errors, %d corrupted, %d failovers%n%s%n", threads, elapsed, stack.registryA(),
                stack.registryB(), pushes.get(), pulls.get(), errors.size(), corrupted.get(),
                ci.failovers() + developer.failovers(), metrics.report(elapsed));
        assertThat(errors).as("errors under load").isEmpty();
        assertThat(corrupted.get()).as("corrupted images").isZero();
        assertThat(pushes.get()).as("images pushed").isPositive();
        assertThat(pulls.get()).as("images pulled").isPositive();

        // afterwards: everything pushed is there, byte for byte, on each replica
        for (StackProcess replica : stack.registries()) {
            RegistryClient check = stack.client(E2eStack.DEVELOPER, replica);
            pushed.forEach(check::verify);
        }
    }
}
