package dev.berth.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;

import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryApi;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryUnderTest;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.LayerFiles;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.TarReader;

/**
 * Jib (jib-core, from Java, no Docker) builds an image from scratch with one layer of generated files and
 * pushes it to the plain-HTTP registry; skopeo pulls it back and the layer's files must be the same.
 */
@ExtendWith(RegistryExtension.class)
class JibPushIT {

    @BeforeAll
    static void requireTools() {
        Tools.require("skopeo");
    }

    @Test
    void imageBuiltByJibIsPulledBackWithTheSameLayer(RegistryUnderTest registry) throws Exception {
        Path work = ItPaths.newWorkDir("jib");
        RandomContent random = RandomContent.fresh("jib layer");
        Path files = Files.createDirectories(work.resolve("files"));
        byte[] hello = ("hello from jib, seed " + random.seed() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] blob = random.bytes(256 * 1024 + 11);
        Files.write(files.resolve("hello.txt"), hello);
        Files.write(files.resolve("random.bin"), blob);

        String repository = "it/jib/app";
        String ref = registry.ref(repository, "v1");
        StringBuilder jibLog = new StringBuilder();
        JibContainer container;
        try {
            container = Jib.fromScratch()
                    .setFormat(ImageFormat.OCI)
                    .addLayer(List.of(files.resolve("hello.txt"), files.resolve("random.bin")), AbsoluteUnixPath.get("/app"))
                    .setEntrypoint("/app/hello.txt")
                    .addLabel("dev.berth.it", "jib")
                    .containerize(Containerizer.to(RegistryImage.named(ref))
                            .setAllowInsecureRegistries(true)
                            .setToolName("berth-integration-tests")
                            .setBaseImageLayersCache(work.resolve("cache-base"))
                            .setApplicationLayersCache(work.resolve("cache-app"))
                            .addEventHandler(LogEvent.class, event -> {
                                synchronized (jibLog) {
                                    jibLog.append(event.getLevel()).append(' ').append(event.getMessage()).append('\n');
                                }
                            }));
        } catch (Exception e) {
            throw new AssertionError("Jib could not push " + ref + ": " + e + "\n----- Jib log -----\n" + jibLog
                    + "\n" + registry.describe(), e);
        }
        String digest = container.getDigest().toString();
        String imageId = container.getImageId().toString();
        System.out.printf("[berth-it] Jib pushed %s: manifest %s, config %s%n", ref, digest, imageId);

        RegistryApi.Manifest served = new RegistryApi(registry).manifest(repository, "v1");
        assertThat(served.digest()).as("digest of the manifest served for %s (Jib log:\n%s)", ref, jibLog).isEqualTo(digest);

        try (ContainersTools tools = ContainersTools.create("jib-skopeo")) {
            OciLayout copy = OciLayout.create(ItPaths.newWorkDir("jib-copy"));
            tools.skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "docker://" + ref, "oci:" + copy.dir() + ":v1")
                    .runOk();
            assertThat(copy.tagged("v1").digest()).as("manifest digest pulled by skopeo").isEqualTo(digest);
            copy.verifiedBlobs();
            JsonNode manifest = copy.readJsonBlob(digest);
            assertThat(manifest.path("config").path("digest").asText()).as("config digest").isEqualTo(imageId);
            assertThat(manifest.path("layers").size()).as("layers in %s", manifest).isEqualTo(1);
            Map<String, TarReader.Entry> layerFiles = LayerFiles.read(copy, manifest);
            assertThat(layerFiles.get("app/hello.txt")).as("app/hello.txt in the layer (entries %s)", layerFiles.keySet())
                    .isEqualTo(TarReader.Entry.file("app/hello.txt", hello));
            assertThat(layerFiles.get("app/random.bin")).as("app/random.bin in the layer")
                    .isEqualTo(TarReader.Entry.file("app/random.bin", blob));
        }
    }
}
