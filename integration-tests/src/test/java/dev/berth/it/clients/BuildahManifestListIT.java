package dev.berth.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryApi;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryUnderTest;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.LayerFiles;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;

/**
 * buildah builds two single-file images for two architectures (from scratch, copy, config --arch/--os,
 * commit), gathers them in a manifest list and pushes it with {@code manifest push --all}; skopeo then
 * reads the index back from the registry and finds both platforms, each manifest and config intact.
 */
@ExtendWith(RegistryExtension.class)
class BuildahManifestListIT {

    private static final String[] ARCHITECTURES = { "amd64", "arm64" };

    private ContainersTools tools;

    @BeforeAll
    static void requireTools() {
        Tools.require("buildah", "skopeo");
    }

    @BeforeEach
    void storage() {
        tools = ContainersTools.create("buildah");
    }

    @AfterEach
    void cleanUp() {
        tools.close();
    }

    @Test
    void manifestListPushedWithAllImagesHasBothPlatforms(RegistryUnderTest registry) throws IOException {
        Path work = ItPaths.newWorkDir("buildah-images");
        RandomContent random = RandomContent.fresh("buildah images");
        Map<String, byte[]> payloads = new LinkedHashMap<>();
        String list = "localhost/berth-it/list:v1";
        tools.buildah("manifest", "create", list).runOk();
        for (String arch : ARCHITECTURES) {
            byte[] payload = ("berth buildah image for " + arch + "\n" + random.seed() + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] noise = random.bytes(32 * 1024 + 3);
            byte[] content = new byte[payload.length + noise.length];
            System.arraycopy(payload, 0, content, 0, payload.length);
            System.arraycopy(noise, 0, content, payload.length, noise.length);
            payloads.put(arch, content);
            Path file = work.resolve("payload-" + arch + ".bin");
            Files.write(file, content);

            String container = tools.buildah("from", "scratch").runOk().lastLine();
            tools.buildah("copy", container, file.toString(), "/payload.bin").runOk();
            tools.buildah("config", "--arch", arch, "--os", "linux", "--label", "dev.berth.it.arch=" + arch, container).runOk();
            String image = "localhost/berth-it/img-" + arch + ":v1";
            tools.buildah("commit", container, image).runOk();
            tools.buildah("rm", container).runOk();
            tools.buildah("manifest", "add", list, "containers-storage:" + image).runOk();
        }

        String repository = "it/buildah/list";
        String remote = "docker://" + registry.ref(repository, "v1");
        Path digestFile = work.resolve("list-digest");
        tools.buildah("manifest", "push", "--all", "--tls-verify=false", "--digestfile", digestFile.toString(), list, remote)
                .runOk();
        String pushedDigest = Files.readString(digestFile).trim();

        Command.Result raw = tools.skopeo("inspect", "--raw", "--tls-verify=false", remote).runOk();
        JsonNode index = OciLayout.JSON.readTree(raw.output());
        RegistryApi.Manifest served = new RegistryApi(registry).manifest(repository, "v1");
        assertThat(served.digest()).as("digest of the index served for the tag").isEqualTo(pushedDigest);
        assertThat(OciLayout.JSON.readTree(served.body())).as("index served vs skopeo inspect --raw").isEqualTo(index);
        assertThat(index.path("manifests").size()).as("entries of %s", raw.output()).isEqualTo(2);
        Map<String, String> manifestByArch = new LinkedHashMap<>();
        for (JsonNode entry : index.path("manifests")) {
            assertThat(entry.path("platform").path("os").asText()).isEqualTo("linux");
            manifestByArch.put(entry.path("platform").path("architecture").asText(), entry.path("digest").asText());
        }
        assertThat(manifestByArch.keySet()).as("platforms in %s", raw.output()).containsExactlyInAnyOrder(ARCHITECTURES);

        // each platform's image, copied out of the registry, holds that platform's file
        for (String arch : ARCHITECTURES) {
            String byDigest = "docker://" + registry.hostPort() + "/" + repository + "@" + manifestByArch.get(arch);
            OciLayout copy = OciLayout.create(ItPaths.newWorkDir("buildah-copy-" + arch));
            tools.skopeo("copy", "--preserve-digests", "--src-tls-verify=false", byDigest, "oci:" + copy.dir() + ":" + arch)
                    .runOk();
            assertThat(copy.tagged(arch).digest()).as("%s manifest digest", arch).isEqualTo(manifestByArch.get(arch));
            JsonNode manifest = copy.readJsonBlob(manifestByArch.get(arch));
            JsonNode config = copy.readJsonBlob(manifest.path("config").path("digest").asText());
            assertThat(config.path("architecture").asText()).as("architecture in the %s config", arch).isEqualTo(arch);
            assertThat(config.path("os").asText()).isEqualTo("linux");
            copy.verifiedBlobs();
            assertThat(LayerFiles.read(copy, manifest).get("payload.bin"))
                    .as("payload.bin in the %s image", arch)
                    .isEqualTo(dev.berth.it.images.TarReader.Entry.file("payload.bin", payloads.get(arch)));
        }
    }
}
