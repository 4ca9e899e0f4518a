package dev.berth.it.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.infinispan.InfinispanServer;
import dev.berth.devtools.s3.S3ProxyServer;
import dev.berth.it.containers.ServiceImages;
import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.TestCluster;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Plays the dev overlay's Berth Deployments with {@code podman kube play}: the four services start from the images
 * {@link ServiceImages} built (non-root, read-only root file system, as rendered), against the harness's real
 * PostgreSQL, S3Proxy and Infinispan server (the overlay's own PostgreSQL, S3, Infinispan and Keycloak need public
 * images that cannot be pulled on the build machines; token-service uses its built-in user store instead of
 * Keycloak). skopeo logs in through token-service, pushes an image and pulls it back; the three event-bus members
 * form one cluster; gc-worker serves the autoscaler's metric. {@code podman kube down} removes the pods; nothing is left. What is adapted, and why, is
 * {@link PlayableDeployments}'s (and docs/kubernetes.md's) list.
 */
class KubePlayIT {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(150);
    private static final String REPOSITORY = "it/kube-play";
    private static final String TAG = "1";
    private static final String ADMIN_PASSWORD = "kube-play-" + UUID.randomUUID();

    @Test
    void devOverlayPlaysAndServesAPushAndAPull() throws Exception {
        Tools.require("kubectl", "podman", "catatonit", "skopeo");
        ServiceImages images = ServiceImages.get();
        long started = System.nanoTime();
        System.out.printf("[berth-it] kube play: images of %s (built in %s ms)%n", images.registry(), images.buildMillis());

        ItEnvironment environment = ItEnvironment.get();
        // the harness's servers, started side by side
        CompletableFuture<S3ProxyServer> s3Start = CompletableFuture.supplyAsync(S3ProxyServer::shared);
        CompletableFuture<InfinispanServer> infinispanStart = CompletableFuture.supplyAsync(InfinispanServer::shared);
        EmbeddedDatabase database = environment.database();
        database.createDatabase("kube_play");
        S3ProxyServer s3 = s3Start.join();
        InfinispanServer infinispan = infinispanStart.join();

        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String service : RenderedManifests.SERVICES) {
            ports.put(service, FreePorts.loopbackPort());
        }
        TestCluster cluster = TestCluster.fresh(4);
        String token = "http://127.0.0.1:" + ports.get("token-service");
        PlayableDeployments playable = new PlayableDeployments(RenderedManifests.of("dev"))
                .configValue("database.reactive-url", database.reactiveUrl("kube_play"))
                .configValue("database.jdbc-url", database.jdbcUrl("kube_play"))
                .configValue("s3.endpoint", s3.endpoint().toString())
                .configValue("s3.bucket", "kube-play-" + UUID.randomUUID().toString().substring(0, 8))
                .configValue("infinispan.hosts", infinispan.hosts())
                .configValue("auth.realm", token + "/token")
                .configValue("auth.jwks-url", token + "/.well-known/jwks.json")
                .configValue("cluster.name", cluster.name())
                .secretValue("berth-database", "username", database.user())
                .secretValue("berth-database", "password", database.password())
                .secretValue("berth-s3", "access-key", S3ProxyServer.ACCESS_KEY)
                .secretValue("berth-s3", "secret-key", S3ProxyServer.SECRET_KEY)
                .secretValue("berth-infinispan", "username", InfinispanServer.USERNAME)
                .secretValue("berth-infinispan", "password", InfinispanServer.PASSWORD)
                .env("BERTH_CLUSTER_PORT", Integer.toString(cluster.port()))
                .env("BERTH_CLUSTER_PORT_COUNT", Integer.toString(cluster.portCount()))
                .env("QUARKUS_VERTX_CLUSTER_PORT", "0");
        List<String> documents = new ArrayList<>();
        for (String service : RenderedManifests.SERVICES) {
            Path tmp = ItPaths.newWorkDir("kube-play-tmp-" + service);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
            // token-service checks logins in its built-in user store: Keycloak (the dev overlay's or the harness's) is not
            // started, a first Keycloak start (its build step) alone can exceed this test's budget
            Map<String, String> own = service.equals("token-service")
                    ? Map.of("TOKEN_KEYCLOAK_URL", "", "REGISTRY_ADMIN_PASSWORD", ADMIN_PASSWORD) : Map.of();
            Deployment deployment = playable.playable(service, images.image(service), ports.get(service), tmp, own);
            documents.add(Serialization.asYaml(deployment));
        }
        Path play = ItPaths.newWorkDir("kube-play").resolve("berth-dev.yaml");
        Files.writeString(play, String.join("---\n", documents).replace("---\n---\n", "---\n"));

        try {
            podman("kube", "play", "--tls-verify=false", play.toString()).timeout(Duration.ofMinutes(5)).runOk();
            for (String service : RenderedManifests.SERVICES) {
                awaitReady(service, ports.get(service));
            }
            System.out.printf("[berth-it] kube play: the dev overlay's four services ready in %d s%n",
                    (System.nanoTime() - started) / 1_000_000_000);

            pushAndPull("127.0.0.1:" + ports.get("registry-api"));
            // registry-api, catalog-service and gc-worker joined one Hazelcast cluster
            awaitLog("registry-api", "Members {size:3");
            String metrics = new String(Http.get(URI.create("http://127.0.0.1:" + ports.get("gc-worker") + "/q/metrics")).body());
            assertThat(metrics).as("gc-worker serves the autoscaler's metric").contains("berth_gc_backlog{queue=\"links\"}");
        } finally {
            podman("kube", "down", play.toString()).timeout(Duration.ofMinutes(2)).run();
        }
        Command.Result pods = podman("pod", "ps", "--format", "{{.Name}}").runOk();
        Command.Result containers = podman("ps", "-a", "--format", "{{.Names}}").runOk();
        for (String service : RenderedManifests.SERVICES) {
            assertThat(pods.output()).as("pods left after kube down").doesNotContain(service);
            assertThat(containers.output()).as("containers left after kube down").doesNotContain(service);
        }
        System.out.printf("[berth-it] kube play: played, pushed, pulled and removed in %d s (image build excluded)%n",
                (System.nanoTime() - started) / 1_000_000_000);
    }

    /** skopeo logs in as admin (through token-service), pushes a small image and pulls it back. */
    private static void pushAndPull(String registry) {
        try (ContainersTools tools = ContainersTools.create("kube-play-skopeo")) {
            OciLayout source = OciLayout.create(ItPaths.newWorkDir("kube-play-image"));
            byte[] content = RandomContent.fresh("kube play layer").bytes(256 * 1024);
            OciLayout.Layer layer = source.writeLayer(true, tar -> tar.file("data/random.bin", content));
            OciLayout.Image image = source.writeImage(Map.of("architecture", "amd64", "os", "linux"), List.of(layer));
            source.writeIndexJson(image.manifest(), TAG);
            String remote = "docker://" + registry + "/" + REPOSITORY + ":" + TAG;
            tools.skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", "admin:" + ADMIN_PASSWORD,
                    "oci:" + source.dir() + ":" + TAG, remote).runOk();
            OciLayout copy = OciLayout.create(ItPaths.newWorkDir("kube-play-pulled"));
            tools.skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", "admin:" + ADMIN_PASSWORD,
                    remote, "oci:" + copy.dir() + ":" + TAG).runOk();
            Descriptor pulled = copy.tagged(TAG);
            assertThat(pulled.digest()).as("manifest digest after push and pull").isEqualTo(image.manifest().digest());
            assertThat(copy.verifiedBlobs()).isEqualTo(source.verifiedBlobs());
        }
    }

    private static void awaitReady(String service, int port) {
        URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        int status = -1;
        while (System.nanoTime() < deadline) {
            status = Http.statusOrMinusOne(ready);
            if (status == 200) {
                return;
            }
            pause();
        }
        throw new AssertionError(service + " not ready on " + ready + " (last status " + status + "):\n" + logs(service));
    }

    private static void awaitLog(String service, String text) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String logs = "";
        while (System.nanoTime() < deadline) {
            logs = logs(service);
            if (logs.contains(text)) {
                return;
            }
            pause();
        }
        throw new AssertionError(service + " never logged '" + text + "':\n" + Command.tail(logs, 6000));
    }

    /** The container's output: podman names it {@code <deployment>-pod-0-<container>}. */
    private static String logs(String service) {
        return podman("logs", service + "-pod-0-" + service).timeout(Duration.ofSeconds(30)).run().output();
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Command podman(String... args) {
        return ServiceImages.get().podman().podman(args);
    }

}
