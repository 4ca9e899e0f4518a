package dev.berth.it.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.TestCluster;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Digests;
import dev.berth.it.images.MediaTypes;

/**
 * The one-command local stack as a user runs it: the real {@code deploy/local/up} and {@code down} scripts on a fresh
 * data folder and free ports (every port, the data folder and the event-bus cluster come from the BERTH_*
 * environment variables the scripts document), with the service jars of this build.
 *
 * <p>{@code up --s3 --replicas 2}: S3Proxy, an Infinispan server, two registry-api replicas, token-service (built-in
 * user store), catalog-service and gc-worker. An image pushed through replica 1 with a token of token-service is
 * pulled through replica 2, its blobs are objects of the S3 bucket, catalog-service lists the repository, gc-worker
 * is ready and every clustered process is a member of one Hazelcast cluster; {@code down} leaves no process and
 * frees every port. A port held by another program stops {@code up} before it starts anything, with a message that
 * names the port, what holds it and the variable that moves it.
 */
class DeployLocalIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_PASSWORD = "deploy-local-it-" + UUID.randomUUID().toString().substring(0, 8);
    // a bound against a hang, not a speed check (up itself gives each service 180 s)
    private static final Duration UP_LIMIT = Duration.ofMinutes(10);
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private static Path repo;

    @BeforeAll
    static void scriptsAndJars() {
        repo = ItPaths.repoRoot();
        List<String> missing = new ArrayList<>();
        for (String file : List.of("deploy/local/up", "deploy/local/down",
                "registry-api/target/quarkus-app/quarkus-run.jar", "token-service/target/quarkus-app/quarkus-run.jar",
                "catalog-service/target/quarkus-app/quarkus-run.jar", "gc-worker/target/quarkus-app/quarkus-run.jar",
                "registry-devtools/target/registry-devtools-0.1.0-SNAPSHOT.jar", "registry-devtools/target/lib",
                "registry-devtools/target/s3proxy/s3proxy.jar", "registry-devtools/infinispan-server/target/lib")) {
            if (!Files.exists(repo.resolve(file))) {
                missing.add(file);
            }
        }
        if (Tools.find("bash") == null) {
            missing.add("bash on PATH");
        }
        if (!missing.isEmpty()) {
            // up would start a Maven build of its own: this test checks the scripts, not the build
            Tools.unavailable("deploy/local needs " + missing + " (build the services first: ./mvnw -DskipTests package)");
        }
    }

    @Test
    void upWithS3AndTwoReplicasServesPushAndPullThenDownStopsEverything() throws Exception {
        Stack stack = Stack.fresh("s3-replicas", 2);
        try {
            Command.Result up = stack.script("up", "--s3", "--replicas", "2").timeout(UP_LIMIT).run();
            assertThat(up.exitCode()).as(up.describe()).isZero();
            assertThat(up.output()).as("the summary of up")
                    .contains("Berth is running.")
                    .contains("http://127.0.0.1:" + stack.apiPort(1) + "  (replica 1 of 2")
                    .contains("http://127.0.0.1:" + stack.apiPort(2) + "  (replica 2 of 2")
                    .contains("S3 bucket berth at http://127.0.0.1:" + stack.port("BERTH_S3_PORT"))
                    .contains("Infinispan at 127.0.0.1:" + stack.port("BERTH_INFINISPAN_PORT"))
                    .contains("Logs           " + stack.dataDir.resolve("logs") + "/");
            List<Long> pids = stack.recordedPids();
            // PostgreSQL, S3Proxy (launcher + server), Infinispan (launcher + server), token-service, 2 replicas,
            // catalog-service, gc-worker
            assertThat(pids).as("pid files in %s", stack.dataDir.resolve("run")).hasSize(10);

            String repository = "local/demo-" + UUID.randomUUID().toString().substring(0, 6);
            String token = stack.token("repository:" + repository + ":push,pull");
            byte[] layer = ("layer of " + repository + " " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
            String layerDigest = stack.pushBlob(1, token, repository, layer);
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                    + layerDigest + "\"]}}").getBytes(StandardCharsets.UTF_8);
            String configDigest = stack.pushBlob(1, token, repository, config);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                    + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length
                    + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR + "\",\"digest\":\"" + layerDigest
                    + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
            HttpResponse<byte[]> put = Http.send(HttpRequest.newBuilder(stack.api(1, "/v2/" + repository + "/manifests/v1"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", MediaTypes.OCI_MANIFEST)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build());
            assertThat(put.statusCode()).as("manifest PUT on replica 1: %s", body(put)).isEqualTo(201);

            // pulled through the other replica: the same manifest and blob bytes
            HttpResponse<byte[]> pulled = Http.get(stack.api(2, "/v2/" + repository + "/manifests/v1"),
                    "Authorization", "Bearer " + token, "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(pulled.statusCode()).as("manifest GET on replica 2: %s", body(pulled)).isEqualTo(200);
            assertThat(pulled.body()).isEqualTo(manifest);
            assertThat(pulled.headers().firstValue("Docker-Content-Digest")).contains(Digests.sha256(manifest));
            HttpResponse<byte[]> blob = Http.get(stack.api(2, "/v2/" + repository + "/blobs/" + layerDigest),
                    "Authorization", "Bearer " + token);
            assertThat(blob.statusCode()).as("blob GET on replica 2").isEqualTo(200);
            assertThat(blob.body()).isEqualTo(layer);
            // ... and the blobs are objects of the S3 bucket, not files of the filesystem store
            Path bucket = stack.dataDir.resolve("s3/data/berth");
            assertThat(filesUnder(bucket)).as("objects in %s", bucket).isGreaterThanOrEqualTo(2);
            assertThat(filesUnder(stack.dataDir.resolve("storage"))).as("the filesystem store stays empty").isZero();

            // catalog-service lists it (its read model follows registry-api's events)
            String catalogToken = stack.token("registry:catalog:*");
            List<String> listed = new ArrayList<>();
            awaitTrue("catalog-service lists " + repository + " (last answer " + listed + ")", () -> {
                listed.clear();
                listed.addAll(stack.catalogRepositories(catalogToken));
                return listed.contains(repository);
            });

            // gc-worker is ready, and all four clustered processes are members of one cluster
            HttpResponse<byte[]> gcReady = Http.get(stack.uri(stack.port("BERTH_GC_PORT"), "/q/health/ready"));
            assertThat(gcReady.statusCode()).as(body(gcReady)).isEqualTo(200);
            assertThat(JSON.readTree(gcReady.body()).path("status").asText()).isEqualTo("UP");
            Path gcLog = stack.dataDir.resolve("logs/gc-worker.log");
            awaitTrue("gc-worker's log shows a Hazelcast cluster of 4 members (" + gcLog + ")",
                    () -> read(gcLog).contains("Members {size:4,"));

            Command.Result down = stack.script("down").timeout(Duration.ofMinutes(2)).run();
            assertThat(down.exitCode()).as(down.describe()).isZero();
            assertThat(down.output()).contains("Berth stopped.");
            assertThat(pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)))
                    .as("processes left after down").isEmpty();
            awaitTrue("every port of the stack is free after down: " + stack.ports.values(),
                    () -> stack.ports.values().stream().allMatch(DeployLocalIT::free));
            assertThat(stack.recordedPids()).as("pid files after down").isEmpty();
        } finally {
            stack.stopLeftovers();
        }
    }

    @Test
    void upRefusesAPortTakenByAnotherProgramAndNamesIt() throws Exception {
        Stack stack = Stack.fresh("port-taken", 1);
        int taken = stack.port("BERTH_TOKEN_PORT");
        try (ServerSocket holder = new ServerSocket(taken, 50, InetAddress.getLoopbackAddress())) {
            Command.Result up = stack.script("up").timeout(Duration.ofMinutes(1)).run();
            assertThat(up.exitCode()).as(up.describe()).isNotZero();
            assertThat(up.output()).as(up.describe())
                    .contains("Port " + taken + " on 127.0.0.1 (token-service) is already in use by ")
                    .contains("choose another port with BERTH_TOKEN_PORT=N")
                    .contains("Nothing was started.")
                    .doesNotContain("Starting ");
            if (Tools.isRoot() && Tools.find("ss") != null) {
                // ss names the holder (this test JVM) for root
                assertThat(up.output()).contains("java (pid " + ProcessHandle.current().pid());
            }
            assertThat(stack.recordedPids()).as("no process started").isEmpty();
        } finally {
            stack.stopLeftovers();
        }
    }

    private static String body(HttpResponse<byte[]> response) {
        return response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long filesUnder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).count();
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + SETTLE.toSeconds() + " s: " + what);
            }
            Thread.sleep(250);
        }
    }

    /** One stack's environment: a fresh data folder, its own free ports and event-bus cluster. */
    private static final class Stack {

        final Path dataDir;
        final Map<String, Integer> ports = new LinkedHashMap<>();
        final Map<String, String> env = new LinkedHashMap<>();
        final int replicas;

        private Stack(Path dataDir, int replicas) {
            this.dataDir = dataDir;
            this.replicas = replicas;
        }

        static Stack fresh(String name, int replicas) {
            Stack stack = new Stack(ItPaths.newWorkDir("deploy-local-" + name).resolve("data"), replicas);
            // replica i listens on BERTH_HTTP_PORT + 10 * (i - 1): a base whose every replica port is free
            int http = freeBase(replicas);
            stack.ports.put("BERTH_HTTP_PORT", http);
            for (String variable : List.of("BERTH_TOKEN_PORT", "BERTH_CATALOG_PORT", "BERTH_GC_PORT", "BERTH_PG_PORT",
                    "BERTH_S3_PORT", "BERTH_INFINISPAN_PORT")) {
                stack.ports.put(variable, distinctFreePort(stack.ports));
            }
            TestCluster cluster = TestCluster.fresh(10);
            stack.env.put("BERTH_DATA_DIR", stack.dataDir.toString());
            stack.ports.forEach((k, v) -> stack.env.put(k, Integer.toString(v)));
            stack.env.put("BERTH_CLUSTER_NAME", cluster.name());
            stack.env.put("BERTH_CLUSTER_PORT", Integer.toString(cluster.port()));
            stack.env.put("BERTH_CLUSTER_PORT_COUNT", Integer.toString(cluster.portCount()));
            stack.env.put("REGISTRY_ADMIN_PASSWORD", ADMIN_PASSWORD);
            return stack;
        }

        int port(String variable) {
            return ports.get(variable);
        }

        int apiPort(int replica) {
            return port("BERTH_HTTP_PORT") + 10 * (replica - 1);
        }

        URI uri(int port, String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        URI api(int replica, String path) {
            return uri(apiPort(replica), path);
        }

        Command script(String name, String... args) {
            List<String> command = new ArrayList<>(List.of("bash", repo.resolve("deploy/local/" + name).toString()));
            command.addAll(Arrays.asList(args));
            return Command.of(command).env(env).dir(repo);
        }

        /** A token of token-service for the built-in admin with {@code scope}. */
        String token(String scope) throws IOException {
            HttpResponse<byte[]> response = Http.send(HttpRequest.newBuilder(uri(port("BERTH_TOKEN_PORT"),
                    "/token?service=berth-registry&scope=" + URLEncoder.encode(scope, StandardCharsets.UTF_8)))
                    .header("Authorization", "Basic " + Base64.getEncoder()
                            .encodeToString(("admin:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30)).GET().build());
            assertThat(response.statusCode()).as("token for %s: %s", scope, body(response)).isEqualTo(200);
            return JSON.readTree(response.body()).path("token").asText();
        }

        /** POST /v2/NAME/blobs/uploads/?digest= with the whole blob on a replica: 201. */
        String pushBlob(int replica, String token, String repository, byte[] data) {
            String digest = Digests.sha256(data);
            HttpResponse<byte[]> response = Http.send(HttpRequest.newBuilder(api(replica, "/v2/" + repository
                    + "/blobs/uploads/?digest=" + digest.replace(":", "%3A")))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/octet-stream")
                    .timeout(Duration.ofMinutes(1)).POST(HttpRequest.BodyPublishers.ofByteArray(data)).build());
            assertThat(response.statusCode()).as("blob push on replica %d: %s", replica, body(response)).isEqualTo(201);
            return digest;
        }

        List<String> catalogRepositories(String token) {
            HttpResponse<byte[]> response = Http.get(uri(port("BERTH_CATALOG_PORT"), "/api/v1/repositories?size=500"),
                    "Authorization", "Bearer " + token);
            assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
            List<String> names = new ArrayList<>();
            JsonNode page;
            try {
                page = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            page.path("items").forEach(item -> names.add(item.path("name").asText()));
            return names;
        }

        /** The live processes named by the pid files of the data folder. */
        List<Long> recordedPids() throws IOException {
            Path run = dataDir.resolve("run");
            if (!Files.isDirectory(run)) {
                return List.of();
            }
            List<Long> pids = new ArrayList<>();
            try (Stream<Path> files = Files.list(run)) {
                for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
                    String text = Files.readString(file).trim();
                    if (!text.isEmpty() && ProcessHandle.of(Long.parseLong(text)).map(ProcessHandle::isAlive).orElse(false)) {
                        pids.add(Long.parseLong(text));
                    }
                }
            }
            return pids;
        }

        /** After a failure: down, then whatever a pid file still names (by pid, with its children). */
        void stopLeftovers() throws IOException {
            if (recordedPids().isEmpty()) {
                return;
            }
            script("down").timeout(Duration.ofMinutes(2)).run();
            for (long pid : recordedPids()) {
                ProcessHandle.of(pid).ifPresent(process -> {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                });
            }
        }

        private static int freeBase(int replicas) {
            for (int attempt = 0; attempt < 100; attempt++) {
                int base = dev.berth.it.harness.FreePorts.loopbackPort();
                boolean all = true;
                for (int i = 1; i < replicas && all; i++) {
                    all = base + 10 * i < 65536 && free(base + 10 * i);
                }
                if (all) {
                    return base;
                }
            }
            throw new AssertionError("no free port base for " + replicas + " replicas");
        }

        private static int distinctFreePort(Map<String, Integer> taken) {
            while (true) {
                int port = dev.berth.it.harness.FreePorts.loopbackPort();
                int http = taken.get("BERTH_HTTP_PORT");
                boolean clash = taken.containsValue(port) || (port >= http && port <= http + 100 && (port - http) % 10 == 0);
                if (!clash) {
                    return port;
                }
            }
        }
    }
}
