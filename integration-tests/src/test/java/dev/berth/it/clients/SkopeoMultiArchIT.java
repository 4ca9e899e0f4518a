package dev.berth.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
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
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.MultiArchImage;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;

/**
 * skopeo copies a generated two-platform OCI image (index, two manifests, layers from 1 KiB to 64 MiB)
 * from an OCI layout into the registry and back out into a second layout, with --all --preserve-digests:
 * every digest and every byte must survive the round trip.
 */
@ExtendWith(RegistryExtension.class)
class SkopeoMultiArchIT {

    private static final String REPOSITORY = "it/skopeo/multiarch";
    private static final String TAG = "v1";

    @BeforeAll
    static void tools() {
        Tools.require("skopeo");
    }

    @Test
    void multiArchIndexRoundTripKeepsEveryDigest(RegistryUnderTest registry) {
        try (ContainersTools tools = ContainersTools.create("skopeo")) {
            MultiArchImage image = MultiArchImage.generate(ItPaths.newWorkDir("skopeo-source-layout"), TAG,
                    RandomContent.fresh("skopeo multi-arch image"));
            OciLayout source = image.layout();
            Map<String, Long> sourceBlobs = source.verifiedBlobs();
            String remote = "docker://" + registry.ref(REPOSITORY, TAG);

            Command.Result push = tools.skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                    "oci:" + source.dir() + ":" + TAG, remote).runOk();

            // what the registry serves, read with plain HTTP
            RegistryApi api = new RegistryApi(registry);
            RegistryApi.Manifest index = api.manifest(REPOSITORY, TAG);
            assertThat(index.digest()).as("digest of the index served for the tag (push output:\n%s)", push.output())
                    .isEqualTo(image.index().digest());
            assertThat(index.body()).as("index bytes").isEqualTo(source.readBlob(image.index().digest()));
            assertThat(index.digestHeader()).as("Docker-Content-Digest of the index").isEqualTo(image.index().digest());
            assertThat(index.mediaType()).as("Content-Type of the index").startsWith(image.index().mediaType());
            for (MultiArchImage.Platform platform : image.platforms()) {
                RegistryApi.Manifest manifest = api.manifest(REPOSITORY, platform.manifest().digest());
                assertThat(manifest.body()).as("%s manifest bytes", platform.architecture())
                        .isEqualTo(source.readBlob(platform.manifest().digest()));
                for (Descriptor blob : concat(platform.config(), platform.layers())) {
                    RegistryApi.BlobSummary served = api.blob(REPOSITORY, blob.digest());
                    assertThat(served.status()).as("GET blob %s%s", blob.digest(), served.exchange()).isEqualTo(200);
                    assertThat(served.size()).as("size of blob %s", blob.digest()).isEqualTo(blob.size());
                    assertThat(served.sha256()).as("content of blob %s", blob.digest()).isEqualTo(blob.digest());
                }
            }

            // and back out with skopeo into a second layout
            OciLayout copy = OciLayout.create(ItPaths.newWorkDir("skopeo-copied-layout"));
            tools.skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", remote,
                    "oci:" + copy.dir() + ":" + TAG).runOk();
            Descriptor copiedIndex = copy.tagged(TAG);
            assertThat(copiedIndex.digest()).as("index digest after the round trip").isEqualTo(image.index().digest());
            assertThat(copiedIndex.mediaType()).isEqualTo(image.index().mediaType());
            JsonNode manifests = copy.readJsonBlob(copiedIndex.digest()).path("manifests");
            assertThat(manifests.size()).as("platforms in the copied index").isEqualTo(2);
            for (int i = 0; i < 2; i++) {
                MultiArchImage.Platform platform = image.platforms().get(i);
                assertThat(manifests.get(i).path("digest").asText()).as("manifest digest of %s", platform.architecture())
                        .isEqualTo(platform.manifest().digest());
                assertThat(manifests.get(i).path("platform").path("architecture").asText()).isEqualTo(platform.architecture());
            }
            Map<String, Long> copiedBlobs = copy.verifiedBlobs();
            assertThat(copiedBlobs).as("blobs (digest -> size) in the copied layout vs the source layout")
                    .isEqualTo(sourceBlobs);
            Descriptor largest = image.largestLayer();
            assertThat(largest.size()).isGreaterThan(MultiArchImage.bigLayerBytes());
            System.out.printf("[berth-it] skopeo round trip against %s: index %s, %d blobs, largest %d bytes%n",
                    registry.kind(), image.index().digest(), copiedBlobs.size(), largest.size());
        }
    }

    private static java.util.List<Descriptor> concat(Descriptor first, java.util.List<Descriptor> rest) {
        java.util.List<Descriptor> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
