package dev.berth.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.devtools.s3.S3ProxyServer;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.RegistryApi;
import dev.berth.it.harness.RegistryUnderTest;
import dev.berth.it.images.Digests;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;

/**
 * The Berth images, built here and run with podman: the Debian base (deploy/images/build-base) and the four service
 * images (deploy/images/build, the Quarkus Jib extension) are pushed into a Berth, pulled back by skopeo byte for
 * byte, and started as non-root, read-only containers against a real PostgreSQL and a real S3 server (S3Proxy):
 * token-service, registry-api with S3 storage and authentication, catalog-service and gc-worker. An image is then
 * pushed and pulled through the containerised registry-api with a token of the containerised token-service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerImagesIT {

    private static final String SERVICE = "berth-registry";
    private static final String ADMIN_PASSWORD = "containers-it-admin";

    private ServiceImages images;
    private final List<ServiceContainer> containers = new ArrayList<>();
    private S3ProxyServer s3;
    private long started;

    @BeforeAll
    void buildImages() {
        started = System.nanoTime();
        images = ServiceImages.get();
    }

    @AfterAll
    void stopContainers() {
        for (int i = containers.size() - 1; i >= 0; i--) {
            containers.get(i).close();
        }
        ManagedProcess.stopAll(s3);
        if (images != null) {
            System.out.printf("[berth-it] ContainerImagesIT took %d s (image builds: %s ms)%n",
                    (System.nanoTime() - started) / 1_000_000_000, images.buildMillis());
        }
    }

    @Test
    @Order(1)
    void imagesArePulledBackByteForByteAsPushed() {
        RegistryUnderTest berth = hostRegistry();
        RegistryApi api = new RegistryApi(berth);
        List<String> baseLayers = null;
        for (String name : allImages()) {
            String pushed = images.pushedDigest(name);
            RegistryApi.Manifest served = api.manifest(images.repository(name), images.tag());
            assertThat(served.digest()).as("sha256 of the manifest Berth serves for %s", name).isEqualTo(pushed);
            assertThat(served.digestHeader()).as("Docker-Content-Digest of %s", name).isEqualTo(pushed);

            OciLayout copy = OciLayout.create(ItPaths.newWorkDir("pulled-" + name));
            images.podman().skopeo("copy", "--preserve-digests", "--src-tls-verify=false",
                    "docker://" + images.image(name), "oci:" + copy.dir() + ":" + images.tag()).runOk();
            assertThat(copy.tagged(images.tag()).digest()).as("manifest digest skopeo pulled for %s", name).isEqualTo(pushed);
            Map<String, Long> blobs = copy.verifiedBlobs();
            assertThat(copy.readBlob(pushed)).as("manifest bytes of %s", name).isEqualTo(served.body());
            JsonNode manifest = copy.readJsonBlob(pushed);
            Set<String> referenced = new LinkedHashSet<>();
            referenced.add(manifest.path("config").path("digest").asText());
            List<String> layers = new ArrayList<>();
            manifest.path("layers").forEach(l -> layers.add(l.path("digest").asText()));
            referenced.addAll(layers);
            for (String digest : referenced) {
                assertThat(blobs).as("blobs pulled for %s", name).containsKey(digest);
                RegistryApi.BlobSummary blob = api.blob(images.repository(name), digest);
                assertThat(blob.sha256()).as("blob %s of %s as served%s", digest, name, blob.exchange()).isEqualTo(digest);
                assertThat(blob.size()).as("size of blob %s of %s", digest, name).isEqualTo(blobs.get(digest));
                assertThat(Digests.sha256(copy.blobPath(digest))).isEqualTo(digest);
            }

            JsonNode config = copy.readJsonBlob(manifest.path("config").path("digest").asText()).path("config");
            JsonNode labels = config.path("Labels");
            assertThat(config.path("User").asText()).as("user of %s", name).startsWith("10001");
            assertThat(labels.path("org.opencontainers.image.revision").asText()).as("revision label of %s: %s", name, labels)
                    .isEqualTo(images.revision());
            assertThat(labels.path("org.opencontainers.image.version").asText()).as("version label of %s", name)
                    .isEqualTo(images.tag());
            assertThat(labels.path("org.opencontainers.image.source").asText()).as("source label of %s", name).isNotBlank();
            long size = blobs.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf("[berth-it] %s: %d layers, %.1f MB compressed, config %s%n", name, layers.size(),
                    size / 1e6, config);
            if (name.equals(ServiceImages.BASE)) {
                baseLayers = layers;
            } else {
                assertThat(labels.path("org.opencontainers.image.title").asText()).as("title label of %s (set by the build, "
                        + "not inherited from the base)", name).isEqualTo("berth/" + name);
                assertThat(config.path("WorkingDir").asText()).as("working dir of %s", name).isEqualTo("/deployments");
                assertThat(config.path("Entrypoint").toString()).as("entrypoint of %s", name).contains("quarkus-run.jar");
                assertThat(layers.subList(0, baseLayers.size())).as("%s starts with the layers of the base", name)
                        .isEqualTo(baseLayers);
            }
        }
    }

    @Test
    @Order(2)
    void servicesRunAsContainersAgainstPostgresqlAndS3() throws Exception {
        Podman podman = images.podman();
        for (String name : ServiceImages.SERVICES) {
            podman.podman("pull", "--tls-verify=false", "--quiet", images.image(name)).runOk();
        }
        EmbeddedDatabase database = ItEnvironment.get().database();
        database.createDatabase("containers_tokens");
        database.createDatabase("containers_registry");
        s3 = S3ProxyServer.start(ItPaths.newWorkDir("containers-s3"));

        int tokenPort = FreePorts.loopbackPort();
        Map<String, String> token = new LinkedHashMap<>(jdbc(database, "containers_tokens"));
        token.put("token.services", SERVICE);
        token.put("token.local.admin-password", ADMIN_PASSWORD);
        ServiceContainer tokens = track(ServiceContainer.start(podman, "berth-it-token-service",
                images.image("token-service"), tokenPort, token));
        String realm = tokens.baseUrl() + "/token";

        Map<String, String> registry = new LinkedHashMap<>(reactive(database, "containers_registry"));
        registry.putAll(s3.registryStorageConfig("containers-it"));
        registry.put("registry.auth.enabled", "true");
        registry.put("registry.auth.realm", realm);
        registry.put("registry.auth.service", SERVICE);
        ServiceContainer api = track(ServiceContainer.start(podman, "berth-it-registry-api",
                images.image("registry-api"), FreePorts.loopbackPort(), registry));

        Map<String, String> catalog = new LinkedHashMap<>(reactive(database, "containers_registry"));
        catalog.put("catalog.auth.realm", realm);
        track(ServiceContainer.start(podman, "berth-it-catalog-service", images.image("catalog-service"),
                FreePorts.loopbackPort(), catalog));

        Map<String, String> gc = new LinkedHashMap<>(reactive(database, "containers_registry"));
        gc.putAll(s3.registryStorageConfig("containers-it"));
        gc.put("gc.worker-name", "containers-it");
        track(ServiceContainer.start(podman, "berth-it-gc-worker", images.image("gc-worker"), FreePorts.loopbackPort(), gc));

        for (ServiceContainer container : containers) {
            assertThat(container.exec("id", "-u").lastLine()).as("uid in %s", container).isEqualTo("10001");
            assertThat(container.exec("touch", "/deployments/x").exitCode()).as("writing the root file system of %s", container)
                    .isNotZero();
            assertThat(container.exec("touch", "/tmp/x").exitCode()).as("writing /tmp of %s", container).isZero();
            assertThat(Http.statusOrMinusOne(URI.create(container.baseUrl() + "/q/health/live"))).as("live of %s", container)
                    .isEqualTo(200);
        }

        // authentication is on: anonymous is sent to the containerised token-service
        HttpResponse<byte[]> anonymous = Http.get(URI.create(api.baseUrl() + "/v2/"));
        assertThat(anonymous.statusCode()).as("anonymous GET /v2/").isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElse("")).contains("realm=\"" + realm + "\"");

        Path work = ItPaths.newWorkDir("containers-push");
        OciLayout layout = OciLayout.create(work.resolve("oci"));
        RandomContent random = RandomContent.fresh("containers push");
        byte[] content = random.bytes(3 * 1024 * 1024 + 7);
        OciLayout.Layer layer = layout.writeLayer(true, tar -> {
            tar.directory("data");
            tar.file("data/random.bin", content);
        });
        OciLayout.Image image = layout.writeImage(Map.of("architecture", "amd64", "os", "linux"), List.of(layer));
        layout.writeIndexJson(image.manifest(), "v1");
        String ref = "127.0.0.1:" + api.port() + "/it/containers/app:v1";
        String creds = "admin:" + ADMIN_PASSWORD;
        assertThat(podman.skopeo("copy", "--dest-tls-verify=false", "oci:" + layout.dir() + ":v1", "docker://" + ref).run().exitCode())
                .as("anonymous push to the containerised registry-api").isNotZero();
        podman.skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", creds,
                "oci:" + layout.dir() + ":v1", "docker://" + ref).runOk();
        OciLayout pulled = OciLayout.create(work.resolve("pulled"));
        podman.skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", creds,
                "docker://" + ref, "oci:" + pulled.dir() + ":v1").runOk();
        assertThat(pulled.tagged("v1").digest()).as("manifest digest pulled through the container").isEqualTo(image.manifest().digest());
        pulled.verifiedBlobs();
        assertThat(pulled.readBlob(layer.descriptor().digest())).as("layer pulled back").isEqualTo(layout.readBlob(layer.descriptor().digest()));

        // the blob data lives in the S3 bucket, not in the container
        Path bucket = s3.dataDirectory().orElseThrow().resolve("containers-it");
        try (var files = Files.walk(bucket)) {
            assertThat(files.filter(Files::isRegularFile).mapToLong(ContainerImagesIT::size).sum())
                    .as("bytes in S3 bucket %s", bucket).isGreaterThan(content.length);
        }
        for (ServiceContainer container : containers) {
            assertThat(container.state()).as("%s after the push and pull", container).isEqualTo("running");
        }
    }

    private ServiceContainer track(ServiceContainer container) {
        containers.add(container);
        return container;
    }

    private List<String> allImages() {
        List<String> names = new ArrayList<>();
        names.add(ServiceImages.BASE);
        names.addAll(ServiceImages.SERVICES);
        return names;
    }

    private RegistryUnderTest hostRegistry() {
        return new RegistryUnderTest() {
            @Override
            public String kind() {
                return "berth";
            }

            @Override
            public String hostPort() {
                return images.registry();
            }

            @Override
            public String describe() {
                return images.toString();
            }
        };
    }

    /** JDBC settings of a database (token-service reaches PostgreSQL over JDBC only). */
    private static Map<String, String> jdbc(EmbeddedDatabase database, String name) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("quarkus.datasource.jdbc.url", database.jdbcUrl(name));
        settings.put("quarkus.datasource.username", database.user());
        settings.put("quarkus.datasource.password", database.password());
        // one process each: the clustered event bus would look for members on 127.0.0.1:5701..
        settings.put("quarkus.vertx.cluster.clustered", "false");
        return settings;
    }

    /** JDBC (Flyway) and reactive settings of a database. */
    private static Map<String, String> reactive(EmbeddedDatabase database, String name) {
        Map<String, String> settings = jdbc(database, name);
        settings.put("quarkus.datasource.reactive.url", database.reactiveUrl(name));
        return settings;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
