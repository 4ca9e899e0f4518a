package dev.berth.it.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.e2e.RegistryClient.Blob;
import dev.berth.it.e2e.RegistryClient.Image;
import dev.berth.it.gc.GcRuns;
import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.DockerDaemon;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.MediaTypes;
import dev.berth.it.images.MultiArchImage;
import dev.berth.it.images.RandomContent;

/**
 * The story of an image, through the whole {@link E2eStack}: a CI service account (Keycloak client credentials) pushes
 * builds of an application, the last ones a two-platform image (skopeo) with a signature-like artifact whose
 * {@code subject} is the index; a developer (a Keycloak user of team-a, allowed to pull ci/ by the stack's policy) pulls
 * it with docker (through replica A) and podman (replica B); {@code /v2/_catalog}, catalog-service's search and tag
 * details and the referrers API show it; the retention policy of the gc-workers (keep the newest two build-* tags)
 * and garbage collection runs started through gc-worker's API remove the old builds, their signature and their
 * blobs; the survivors pull back byte-identical, with docker and podman too.
 */
@ExtendWith(RegistryExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CiStoryIT {

    static final String REPOSITORY = "ci/retained/app";
    static final String SIGNATURE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
    static final String EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json";
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final Duration RUN_LIMIT = Duration.ofMinutes(2);

    private E2eStack stack;
    private DockerDaemon docker;
    private ContainersTools containers;
    private final RandomContent random = RandomContent.fresh("ci story");
    /** build-1 .. build-3: small images the retention policy deletes; build-5 a small survivor. */
    private final List<Image> oldBuilds = new ArrayList<>();
    private Image newestBuild;
    private MultiArchImage multiArch;
    private Image signature;
    private Image oldSignature;
    private String dockerImageId;
    private String podmanImageId;

    @BeforeAll
    void start(ItEnvironment environment) {
        Tools.require("docker", "dockerd", "podman", "skopeo");
        stack = E2eStack.get();
        docker = environment.track(DockerDaemon.start());
        containers = environment.track(ContainersTools.create("e2e-story-containers"));
    }

    @AfterAll
    void stop() {
        ManagedProcess.stopAll(docker, containers);
        if (stack != null) {
            stack.assertHealthy();
        }
    }

    @Test
    @Order(1)
    void ciServiceAccountPushesBuildsAMultiArchImageAndItsSignature() {
        RegistryClient ci = stack.client(E2eStack.CI);
        for (int build = 1; build <= 3; build++) {
            oldBuilds.add(ci.push(RegistryClient.randomImage(REPOSITORY, "build-" + build, random, 2, 256 * 1024,
                    List.of()), build % 2 == 0));
        }
        // the old build-1 was signed too: its signature goes with it
        oldSignature = ci.push(signatureOf(oldBuilds.get(0).digest(), MediaTypes.OCI_MANIFEST,
                oldBuilds.get(0).manifest().length), false);

        // build-4: two platforms, pushed by skopeo as the service account (its Keycloak client id and secret)
        multiArch = MultiArchImage.generate(ItPaths.newWorkDir("e2e-story-layout"), "build-4", random, 3L * 1024 * 1024);
        containers.skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds",
                E2eStack.CI.user() + ":" + E2eStack.CI.password(), "oci:" + multiArch.layout().dir() + ":build-4",
                "docker://" + stack.registryA().hostPort() + "/" + REPOSITORY + ":build-4").runOk();
        Descriptor index = multiArch.index();
        signature = ci.push(signatureOf(index.digest(), index.mediaType(), index.size()), true);
        newestBuild = ci.push(RegistryClient.randomImage(REPOSITORY, "build-5", random, 1, 64 * 1024, List.of()), false);

        assertThat(ci.tags(REPOSITORY)).containsExactlyInAnyOrder("build-1", "build-2", "build-3", "build-4", "build-5");
        assertThat(ci.manifest(REPOSITORY, "build-4")).isEqualTo(multiArch.layout().readBlob(index.digest()));
    }

    @Test
    @Order(2)
    void developerPullsWithDockerAndPodman() {
        String amd64Config = amd64().config().digest();
        String viaA = stack.registryA().hostPort() + "/" + REPOSITORY + ":build-4";
        login(docker.docker("login", "-u", E2eStack.DEVELOPER.user(), "-p", E2eStack.DEVELOPER.password(),
                stack.registryA().hostPort()).run());
        docker.docker("pull", viaA).runOk();
        dockerImageId = docker.docker("image", "inspect", "--format", "{{.Id}}", viaA).runOk().lastLine();
        assertThat(dockerImageId).as("docker's image of linux/amd64 is its config").isEqualTo(amd64Config);

        String viaB = stack.registryB().hostPort() + "/" + REPOSITORY + ":build-4";
        login(containers.podman("login", "--tls-verify=false", "-u", E2eStack.DEVELOPER.user(), "-p",
                E2eStack.DEVELOPER.password(), stack.registryB().hostPort()).run());
        containers.podman("pull", "--tls-verify=false", "--arch", "amd64", viaB).runOk();
        podmanImageId = containers.podman("image", "inspect", "--format", "{{.Id}}", viaB).runOk().lastLine();
        assertThat("sha256:" + podmanImageId).as("podman's image of linux/amd64 is its config").isEqualTo(amd64Config);

        // the developer may pull CI's images, not push over them
        Command.Result push = docker.docker("push", viaA).run();
        assertThat(push.exitCode()).as(push.describe()).isNotZero();
    }

    @Test
    @Order(3)
    void catalogSearchAndReferrersShowIt() {
        RegistryClient admin = stack.client(E2eStack.ADMIN);
        assertThat(admin.catalog()).as("/v2/_catalog").contains(REPOSITORY);

        String indexDigest = multiArch.index().digest();
        JsonNode referrers = stack.client(E2eStack.DEVELOPER).referrers(REPOSITORY, indexDigest, null);
        assertThat(digests(referrers.path("manifests"))).as("referrers of the index: %s", referrers)
                .containsExactly(signature.digest());
        assertThat(referrers.path("manifests").get(0).path("artifactType").asText()).isEqualTo(SIGNATURE_TYPE);

        // catalog-service follows the events: search, then the tag with its platforms and its signature
        await("search finds the repository and build-4", () -> {
            JsonNode found = stack.getJson(stack.catalog(), "/api/v1/search?q=retained", E2eStack.DEVELOPER,
                    "registry:catalog:*");
            List<String> repositories = names(found.path("repositories"), "name");
            List<String> tags = new ArrayList<>();
            found.path("tags").forEach(t -> tags.add(t.path("repository").asText() + ":" + t.path("name").asText()));
            return repositories.contains(REPOSITORY) && tags.contains(REPOSITORY + ":build-4") ? null
                    : "search answered " + found;
        });
        await("the tag shows both platforms and the signature", () -> {
            JsonNode tag = stack.getJson(stack.catalog(), "/api/v1/repositories/" + REPOSITORY + "/tags/build-4",
                    E2eStack.DEVELOPER, "registry:catalog:*");
            List<String> platforms = new ArrayList<>();
            tag.path("platforms").forEach(p -> platforms.add(p.asText()));
            boolean ok = tag.path("digest").asText().equals(indexDigest)
                    && platforms.containsAll(List.of("linux/amd64", "linux/arm64/v8"))
                    && digests(tag.path("referrers")).contains(signature.digest());
            return ok ? null : "tag build-4 answered " + tag;
        });
    }

    @Test
    @Order(4)
    void retentionAndGarbageCollectionRemoveOldBuildsAndTheirBlobs() {
        GcRuns runs = stack.gcRuns(stack.gcWorkerA());
        // a full run: the retention policy keeps the newest two build-* tags
        JsonNode full = runs.run(null, RUN_LIMIT);
        RegistryClient developer = stack.client(E2eStack.DEVELOPER);
        assertThat(developer.tags(REPOSITORY)).as("tags after retention (run %s)", full)
                .containsExactlyInAnyOrder("build-4", "build-5");
        for (Image old : oldBuilds) {
            assertThat(developer.manifest(REPOSITORY, old.digest())).as("manifest of %s", old.tag()).isNull();
        }
        assertThat(developer.manifest(REPOSITORY, oldSignature.digest())).as("the signature of build-1").isNull();

        // once the grace period has passed, an incremental run sweeps their blobs (the events may start one too)
        E2eStack.pause(E2eStack.GC_GRACE.plusSeconds(1));
        JsonNode sweep = runs.run(GcRuns.INCREMENTAL, RUN_LIMIT);
        List<String> oldBlobs = new ArrayList<>();
        oldBuilds.forEach(image -> image.blobs().forEach(blob -> oldBlobs.add(blob.digest())));
        // the empty config {} stays: build-4's signature uses it too
        oldSignature.blobs().stream().map(Blob::digest).filter(d -> !d.equals(EMPTY_DIGEST)).forEach(oldBlobs::add);
        await("the old builds' blobs are gone (run " + sweep + ")", () -> {
            long rows = stack.queryLong("select count(*) from registry.blob where digest in ("
                    + String.join(",", oldBlobs.stream().map(d -> "'" + d + "'").toList()) + ")");
            if (rows != 0) {
                // a postponed candidate waits for the next run
                stack.gcRuns(stack.gcWorkerB()).run(GcRuns.INCREMENTAL, RUN_LIMIT);
                return rows + " blob rows left";
            }
            return null;
        });
        for (Image old : oldBuilds) {
            for (Blob blob : old.blobs()) {
                assertThat(developer.blob(REPOSITORY, blob.digest())).as("blob %s of %s", blob.digest(), old.tag())
                        .isNull();
            }
        }
    }

    @Test
    @Order(5)
    void survivorsPullBackByteIdentical() {
        RegistryClient developer = stack.client(E2eStack.DEVELOPER);
        developer.verify(newestBuild);
        developer.verify(signature);
        // the index, both platforms' manifests and every blob, against the layout skopeo pushed
        assertThat(developer.manifest(REPOSITORY, "build-4")).isEqualTo(multiArch.layout().readBlob(multiArch.index().digest()));
        for (MultiArchImage.Platform platform : multiArch.platforms()) {
            List<Descriptor> blobs = new ArrayList<>(platform.layers());
            blobs.add(platform.config());
            assertThat(developer.manifest(REPOSITORY, platform.manifest().digest())).as("%s manifest", platform.architecture())
                    .isEqualTo(multiArch.layout().readBlob(platform.manifest().digest()));
            for (Descriptor blob : blobs) {
                assertThat(developer.blob(REPOSITORY, blob.digest())).as("blob %s", blob.digest())
                        .isEqualTo(multiArch.layout().readBlob(blob.digest()));
            }
        }
        assertThat(digests(developer.referrers(REPOSITORY, multiArch.index().digest(), SIGNATURE_TYPE).path("manifests")))
                .containsExactly(signature.digest());

        // and with the real clients again, from scratch
        String viaA = stack.registryA().hostPort() + "/" + REPOSITORY + ":build-4";
        docker.docker("rmi", viaA).runOk();
        docker.docker("pull", viaA).runOk();
        assertThat(docker.docker("image", "inspect", "--format", "{{.Id}}", viaA).runOk().lastLine()).isEqualTo(dockerImageId);
        String viaB = stack.registryB().hostPort() + "/" + REPOSITORY + ":build-4";
        containers.podman("rmi", viaB).runOk();
        containers.podman("pull", "--tls-verify=false", "--arch", "amd64", viaB).runOk();
        assertThat(containers.podman("image", "inspect", "--format", "{{.Id}}", viaB).runOk().lastLine())
                .isEqualTo(podmanImageId);
        docker.docker("logout", stack.registryA().hostPort()).runOk();
        containers.podman("logout", stack.registryB().hostPort()).runOk();
    }

    // ---------------------------------------------------------------------------------------------------------

    private static final byte[] EMPTY = "{}".getBytes(StandardCharsets.UTF_8);
    private static final String EMPTY_DIGEST = Blob.of(EMPTY).digest();

    /** A signature-like artifact (a sigstore bundle type, the empty config) whose subject is the given manifest. */
    private Image signatureOf(String digest, String mediaType, long size) {
        Blob bundle = Blob.json("{\"mediaType\":\"" + SIGNATURE_TYPE + "\",\"signed\":\"" + digest + "\",\"nonce\":\""
                + java.util.HexFormat.of().formatHex(random.bytes(16)) + "\"}");
        return RegistryClient.image(REPOSITORY, null, EMPTY_CONFIG_TYPE, SIGNATURE_TYPE, new Blob(EMPTY_DIGEST, EMPTY),
                SIGNATURE_TYPE, List.of(bundle), RegistryClient.descriptor(mediaType, digest, size));
    }

    private MultiArchImage.Platform amd64() {
        return multiArch.platforms().stream().filter(p -> p.architecture().equals("amd64")).findFirst().orElseThrow();
    }

    private static void login(Command.Result login) {
        assertThat(login.exitCode()).as(login.describe()).isZero();
        assertThat(login.output()).contains("Login Succeeded");
    }

    private static List<String> digests(JsonNode descriptors) {
        return names(descriptors, "digest");
    }

    private static List<String> names(JsonNode items, String field) {
        List<String> values = new ArrayList<>();
        items.forEach(item -> values.add(item.path(field).asText()));
        return values;
    }

    /** Polls {@code check} (null: satisfied, else what it saw) until it is satisfied, within {@link #SETTLE}. */
    private void await(String what, Supplier<String> check) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = check.get();
            if (last == null) {
                return;
            }
            E2eStack.pause(Duration.ofMillis(300));
        }
        throw new AssertionError(what + ": not within " + SETTLE.toSeconds() + " s; last: " + last + "\n"
                + stack.describe());
    }
}
