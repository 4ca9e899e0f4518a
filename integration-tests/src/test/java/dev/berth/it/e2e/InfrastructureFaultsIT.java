package dev.berth.it.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.it.e2e.RegistryClient.Blob;
import dev.berth.it.e2e.RegistryClient.Image;
import dev.berth.devtools.infinispan.InfinispanServer;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.S3FaultProxy;
import dev.berth.it.images.RandomContent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The infrastructure under the shared end-to-end stack fails, and the services behave (docs/operations.md,
 * "Failure behaviour"):
 * <ul>
 * <li>the Infinispan server stops: pulls and pushes keep working on both replicas (from PostgreSQL), readiness
 * stays UP with the cache {@code degraded}; back, the cache is used again and a tag moved meanwhile is not
 * served stale;</li>
 * <li>PostgreSQL stops for a few seconds: requests get {@code 503 UNAVAILABLE} at once (never 500, never a hang),
 * readiness goes DOWN; restarted on the same port and data, every service is ready again without a restart,
 * pushes work, catalog-service catches up (outbox relay and consumer resumed), the log holds no stack traces
 * for it;</li>
 * <li>S3 refuses writes (a fault proxy in front of S3Proxy, under a replica of its own): pushes get
 * {@code 503 UNAVAILABLE}, the blob that failed is unknown everywhere (404 BLOB_UNKNOWN, no row), existing
 * images still pull; once writes pass again the same push succeeds.</li>
 * </ul>
 * Each test leaves the stack healthy (whatever it stopped is started again, every service ready).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InfrastructureFaultsIT {
    /** Bound of every wait for a state (readiness, recovery): generous, two cores run a dozen JVMs. */
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** No request may take longer: a hang is a failure, not a slow answer. */
    private static final Duration REQUEST_LIMIT = Duration.ofSeconds(30);

    private final RandomContent random = RandomContent.fresh("infrastructure-faults");
    private E2eStack stack;

    @BeforeEach
    void stack() {
        stack = E2eStack.get();
        stack.awaitHealthy();
    }

    @AfterEach
    void restore() {
        stack.awaitHealthy();
        stack.assertHealthy();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Infinispan

    @Test
    @Order(1)
    void infinispanStoppedPullsAndPushesGoOnFromPostgres() {
        RegistryClient ci = stack.client(E2eStack.CI);
        Image before = ci.push(image("ci/faults/cache", "v1"), false);
        for (StackProcess replica : stack.registries()) {
            stack.client(E2eStack.DEVELOPER, replica).verify(before); // cached by tag and digest now
        }

        long started = System.nanoTime();
        stack.infinispan().stop();
        System.out.printf("[berth-it] faults: Infinispan stopped in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        try {
            // pulls and pushes on each replica while the cache is away, before and after the replicas noticed it;
            // each push moves the tag v1, which both replicas must then answer with the new manifest
            Image byDigest = untagged(before);
            Image moved = null;
            for (StackProcess pusher : stack.registries()) {
                moved = stack.client(E2eStack.CI, pusher).push(image("ci/faults/cache", "v1"), true);
                for (StackProcess replica : stack.registries()) {
                    RegistryClient developer = stack.client(E2eStack.DEVELOPER, replica);
                    developer.verify(byDigest);
                    developer.verify(moved);
                }
            }
            for (StackProcess replica : stack.registries()) {
                awaitCacheState(replica, "degraded");
                stack.client(E2eStack.DEVELOPER, replica).verify(moved);
            }
            Image last = moved;

            stack.infinispan().restart();
            for (StackProcess replica : stack.registries()) {
                awaitCacheState(replica, "ok");
                // the tag moved while the cache was away: the old entry must not come back
                stack.client(E2eStack.DEVELOPER, replica).verify(last);
                stack.client(E2eStack.DEVELOPER, replica).verify(ci.push(image("ci/faults/cache", "v2"), false));
            }
        } finally {
            if (!stack.infinispan().isRunning()) {
                stack.infinispan().restart();
            }
        }
    }

    private static Image untagged(Image image) {
        return new Image(image.repository(), null, image.mediaType(), image.manifest(), image.blobs());
    }

    private void awaitCacheState(StackProcess replica, String state) {
        await(replica + " reports the manifest cache " + state, () -> {
            JsonNode health = health(replica);
            for (JsonNode check : health.path("checks")) {
                if (check.path("name").asText().equals("manifest-cache")) {
                    assertThat(check.path("status").asText()).as("manifest-cache check of " + replica).isEqualTo("UP");
                    return check.path("data").path("state").asText();
                }
            }
            return "(no manifest-cache check)";
        }, state::equals);
        assertThat(readiness(replica)).as("readiness of " + replica + " with the cache " + state).isEqualTo(200);
    }

    // ---------------------------------------------------------------------------------------------------------
    // PostgreSQL

    @Test
    @Order(2)
    void postgresStoppedGives503AndEverythingRecoversWithoutRestarts() throws IOException {
        RegistryClient ci = stack.client(E2eStack.CI);
        Image before = ci.push(image("ci/faults/db", "v1"), false);
        String pull = stack.token(E2eStack.DEVELOPER, "repository:ci/faults/db:pull");
        String push = stack.token(E2eStack.CI, "repository:ci/faults/db:pull,push");
        String catalogToken = stack.token(E2eStack.ADMIN, "registry:catalog:*");
        Map<StackProcess, Integer> starts = new HashMap<>();
        Map<StackProcess, Long> logSizes = new HashMap<>();
        for (StackProcess service : stack.services()) {
            starts.put(service, service.starts());
            logSizes.put(service, Files.size(service.process().logFile()));
        }

        stack.database().stop();
        List<String> answers = new ArrayList<>();
        try {
            // every request the registry cannot serve is a quick 503 UNAVAILABLE with an OCI body, never a 500
            for (StackProcess replica : stack.registries()) {
                await(replica + " answers 503 while PostgreSQL is down",
                        () -> send(replica, "GET", "/v2/ci/faults/db/manifests/v1", pull, null).statusCode(), s -> s == 503);
                for (String[] request : new String[][] {
                        {"GET", "/v2/ci/faults/db/manifests/v1", pull},
                        {"GET", "/v2/ci/faults/db/manifests/" + before.digest(), pull},
                        {"GET", "/v2/ci/faults/db/blobs/" + before.blobs().get(0).digest(), pull},
                        {"GET", "/v2/ci/faults/db/tags/list", pull},
                        {"POST", "/v2/ci/faults/db/blobs/uploads/", push},
                        {"PUT", "/v2/ci/faults/db/manifests/v2", push}}) {
                    byte[] body = request[0].equals("PUT") ? before.manifest() : null;
                    HttpResponse<byte[]> response = send(replica, request[0], request[1], request[2], body);
                    answers.add(replica.name() + " " + request[0] + " " + request[1] + " -> " + response.statusCode());
                    assertThat(response.statusCode()).as(request[0] + " " + request[1] + " on " + replica
                            + " during the outage: " + text(response)).isEqualTo(503);
                    assertUnavailableBody(response);
                }
                HttpResponse<byte[]> head = send(replica, "HEAD", "/v2/ci/faults/db/blobs/" + before.blobs().get(0).digest(),
                        pull, null);
                assertThat(head.statusCode()).as("HEAD blob on " + replica + " during the outage").isEqualTo(503);
                await(replica + " readiness DOWN", () -> readiness(replica), s -> s == 503);
            }
            for (StackProcess service : List.of(stack.catalog(), stack.gcWorkerA(), stack.gcWorkerB())) {
                await(service + " readiness DOWN", () -> readiness(service), s -> s == 503);
            }
            HttpResponse<byte[]> catalog = send(stack.catalog(), "GET", "/api/v1/repositories/ci/faults/db", catalogToken, null);
            answers.add("catalog-service GET /api/v1/repositories/ci/faults/db -> " + catalog.statusCode());
            assertThat(catalog.statusCode()).as("catalog-service during the outage: " + text(catalog)).isEqualTo(503);
        } finally {
            System.out.println("[berth-it] faults: answers while PostgreSQL was down: " + answers);
            stack.database().restart();
        }

        // back without restarting anything
        for (StackProcess service : stack.services()) {
            await(service + " ready again", () -> readiness(service), s -> s == 200);
        }
        for (StackProcess service : stack.services()) {
            assertThat(service.starts()).as(service + " was not restarted").isEqualTo(starts.get(service));
            assertThat(service.isAlive()).as(service + " alive").isTrue();
        }
        stack.client(E2eStack.DEVELOPER).verify(before);
        Image after = ci.push(image("ci/faults/db", "v2"), true);
        for (StackProcess replica : stack.registries()) {
            stack.client(E2eStack.DEVELOPER, replica).verify(after);
        }
        // the outbox relay and catalog-service's consumer resumed: the push after the outage reaches the catalog
        await("catalog-service shows ci/faults/db:v2", () -> {
            HttpResponse<byte[]> tag = send(stack.catalog(), "GET", "/api/v1/repositories/ci/faults/db/tags/v2",
                    stack.token(E2eStack.ADMIN, "registry:catalog:*"), null);
            return tag.statusCode() == 200 ? E2eStack.json(tag.body()).path("digest").asText() : "HTTP " + tag.statusCode();
        }, after.digest()::equals);

        // what the outage left in the logs: short lines, no stack-trace floods
        for (StackProcess service : stack.services()) {
            String log = logSince(service, logSizes.get(service));
            long traceLines = log.lines().filter(line -> line.startsWith("\tat ")).count();
            System.out.printf("[berth-it] faults: %s logged %d lines (%d stack-trace lines) over the outage%n", service,
                    log.lines().count(), traceLines);
            assertThat(log).as(service + " log over the outage").doesNotContain("Result is already complete");
            if (stack.registries().contains(service)) {
                assertThat(log).as(service + " log over the outage").doesNotContain("ERROR [de.be.re.ht.ErrorResponder]");
                assertThat(traceLines).as(service + " stack-trace lines over the outage").isLessThan(40);
            }
        }
    }

    private static void assertUnavailableBody(HttpResponse<byte[]> response) {
        JsonNode body = E2eStack.json(response.body());
        assertThat(body.path("errors").path(0).path("code").asText()).as("error code of " + text(response))
                .isEqualTo("UNAVAILABLE");
        assertThat(body.path("errors").path(0).path("message").asText()).isNotBlank();
    }

    // ---------------------------------------------------------------------------------------------------------
    // S3

    @Test
    @Order(3)
    void s3RefusingWritesFailsPushesCleanlyAndServesNoHalfWrittenBlob() throws Exception {
        RegistryClient ci = stack.client(E2eStack.CI);
        Image existing = ci.push(image("ci/faults/s3", "v1"), false);
        try (S3FaultProxy proxy = S3FaultProxy.start(stack.s3().port());
                StackProcess faulty = registryThrough(proxy)) {
            faulty.start();
            RegistryClient developerOnFaulty = stack.client(E2eStack.DEVELOPER, faulty);
            developerOnFaulty.verify(existing);
            String push = stack.token(E2eStack.CI, "repository:ci/faults/s3:pull,push");
            String pull = stack.token(E2eStack.DEVELOPER, "repository:ci/faults/s3:pull");

            for (int status : new int[] {503, 500}) {
                proxy.refuseWrites(status);
                Blob monolithic = Blob.of(random.bytes(200_000));
                HttpResponse<byte[]> refused = send(faulty, "POST", "/v2/ci/faults/s3/blobs/uploads/?digest="
                        + monolithic.digest().replace(":", "%3A"), push, monolithic.data());
                assertThat(refused.statusCode()).as("monolithic push while S3 answers " + status + ": " + text(refused))
                        .isEqualTo(503);
                assertUnavailableBody(refused);

                Blob chunked = Blob.of(random.bytes(300_000));
                HttpResponse<byte[]> chunkedAnswer = chunkedUpload(faulty, push, chunked);
                assertThat(chunkedAnswer.statusCode()).as("chunked push while S3 answers " + status + ": "
                        + text(chunkedAnswer)).isEqualTo(503);
                assertUnavailableBody(chunkedAnswer);

                // nothing half-written is served, on any replica; nothing is recorded
                for (Blob blob : List.of(monolithic, chunked)) {
                    for (StackProcess replica : List.of(faulty, stack.registryA(), stack.registryB())) {
                        HttpResponse<byte[]> get = send(replica, "GET", "/v2/ci/faults/s3/blobs/" + blob.digest(), pull, null);
                        assertThat(get.statusCode()).as("GET of a refused blob on " + replica + ": " + text(get))
                                .isEqualTo(404);
                        assertThat(E2eStack.json(get.body()).path("errors").path(0).path("code").asText())
                                .isEqualTo("BLOB_UNKNOWN");
                        assertThat(send(replica, "HEAD", "/v2/ci/faults/s3/blobs/" + blob.digest(), pull, null).statusCode())
                                .as("HEAD of a refused blob on " + replica).isEqualTo(404);
                    }
                    assertThat(stack.queryLong("SELECT count(*) FROM registry.blob WHERE digest = '" + blob.digest() + "'"))
                            .as("rows of the refused blob " + blob.digest()).isZero();
                }
                // a manifest over the refused blob is refused too; existing images still pull through the proxy
                Image over = RegistryClient.image("ci/faults/s3", "refused", Blob.json("{\"architecture\":\"amd64\","
                        + "\"os\":\"linux\"}"), List.of(monolithic), null);
                HttpResponse<byte[]> manifest = send(faulty, "PUT", "/v2/ci/faults/s3/manifests/refused", push,
                        over.manifest(), over.mediaType());
                assertThat(manifest.statusCode()).as("manifest over a refused blob: " + text(manifest)).isIn(400, 503);
                developerOnFaulty.verify(existing);

                proxy.allowWrites();
                Image after = stack.client(E2eStack.CI, faulty).push(RegistryClient.image("ci/faults/s3", "after-" + status,
                        Blob.json("{\"architecture\":\"amd64\",\"os\":\"linux\",\"nonce\":\"" + status + "\"}"),
                        List.of(monolithic, chunked), null), true);
                for (StackProcess replica : stack.registries()) {
                    stack.client(E2eStack.DEVELOPER, replica).verify(after);
                }
            }
            System.out.printf("[berth-it] faults: the S3 fault proxy refused %d writes%n", proxy.refused());
            assertThat(proxy.refused()).isPositive();
        }
    }

    /**
     * A third registry-api replica like the stack's two (same database, bucket, cache, event-bus cluster, token
     * service) whose S3 endpoint is the fault proxy: the stack's own replicas keep talking to S3 directly.
     */
    private StackProcess registryThrough(S3FaultProxy proxy) {
        Map<String, String> properties = new LinkedHashMap<>(stack.s3().registryStorageConfig(E2eStack.BUCKET));
        properties.put("registry.storage.s3.endpoint", proxy.endpoint());
        properties.putAll(stack.cluster().properties());
        properties.put("registry.cache.type", "infinispan");
        properties.put("registry.cache.infinispan.hosts", stack.infinispan().hosts());
        properties.put("registry.cache.infinispan.username", InfinispanServer.USERNAME);
        properties.put("registry.cache.infinispan.password", InfinispanServer.PASSWORD);
        properties.put("registry.cache.infinispan.cache-configuration", InfinispanServer.CACHE_CONFIGURATION);
        properties.put("registry.auth.enabled", "true");
        properties.put("registry.auth.realm", stack.tokenService().baseUrl() + "/token");
        properties.put("registry.auth.service", E2eStack.SERVICE);
        return new StackProcess("registry-api-s3-faults", FreePorts.loopbackPort(), port -> RegistryProcess.start(
                "e2e-s3-faults", port, stack.database(), E2eStack.DATABASE, null, properties).process());
    }

    /** POST, one PATCH, PUT ?digest=: the first answer that is not the expected 202 (or the PUT's). */
    private HttpResponse<byte[]> chunkedUpload(StackProcess replica, String token, Blob blob) {
        HttpResponse<byte[]> opened = send(replica, "POST", "/v2/ci/faults/s3/blobs/uploads/", token, null);
        if (opened.statusCode() != 202) {
            return opened;
        }
        String location = URI.create(opened.headers().firstValue("Location").orElseThrow()).getRawPath();
        HttpResponse<byte[]> patched = send(replica, "PATCH", location, token, blob.data());
        if (patched.statusCode() != 202) {
            return patched;
        }
        URI at = URI.create(patched.headers().firstValue("Location").orElse(location));
        String query = at.getRawQuery() == null ? "?" : "?" + at.getRawQuery() + "&";
        return send(replica, "PUT", at.getRawPath() + query + "digest=" + blob.digest().replace(":", "%3A"), token, null);
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    private Image image(String repository, String tag) {
        return RegistryClient.randomImage(repository, tag, random, 2, 64 * 1024, List.of());
    }

    private static HttpResponse<byte[]> send(StackProcess service, String method, String path, String token, byte[] body) {
        return send(service, method, path, token, body, body == null ? null
                : method.equals("PUT") && path.contains("/manifests/") ? "application/vnd.oci.image.manifest.v1+json"
                : "application/octet-stream");
    }

    private static HttpResponse<byte[]> send(StackProcess service, String method, String path, String token, byte[] body,
            String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.uri(path)).timeout(REQUEST_LIMIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpRequest built = request.build();
        try {
            return Http.client().send(built, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AssertionError(method + " " + service.uri(path) + " got no answer within " + REQUEST_LIMIT.toSeconds()
                    + " s: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static int readiness(StackProcess service) {
        return send(service, "GET", "/q/health/ready", null, null).statusCode();
    }

    private static JsonNode health(StackProcess service) {
        return E2eStack.json(send(service, "GET", "/q/health/ready", null, null).body());
    }

    private static String text(HttpResponse<byte[]> response) {
        return response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
    }

    private static String logSince(StackProcess service, long offset) throws IOException {
        Path file = service.process().logFile();
        byte[] all = Files.readAllBytes(file);
        return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                StandardCharsets.UTF_8);
    }

    /** Polls {@code value} until {@code done} accepts it; fails after {@link #WAIT} with the last value. */
    private static <T> T await(String what, Supplier<T> value, Predicate<T> done) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        T last = null;
        while (true) {
            try {
                last = value.get();
                if (done.test(last)) {
                    return last;
                }
            } catch (AssertionError | RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + WAIT.toSeconds() + " s; last: " + last);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
