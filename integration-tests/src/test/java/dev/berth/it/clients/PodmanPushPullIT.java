package dev.berth.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryApi;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryUnderTest;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;

/**
 * podman push and podman pull (vfs storage in a private graphroot, --tls-verify=false): an image imported
 * from a generated tar is pushed, removed, pulled, and must come back with the same id and files.
 */
@ExtendWith(RegistryExtension.class)
class PodmanPushPullIT {

    private ContainersTools tools;

    @BeforeAll
    static void requireTools() {
        Tools.require("podman");
    }

    @BeforeEach
    void storage() {
        tools = ContainersTools.create("podman");
    }

    @AfterEach
    void cleanUp() {
        tools.close();
    }

    @Test
    void pushedImageIsPulledBackIdentical(RegistryUnderTest registry) {
        Path work = ItPaths.newWorkDir("podman-image");
        RootfsTar rootfs = RootfsTar.generate(work.resolve("rootfs.tar"), "podman", RandomContent.fresh("podman rootfs"));
        String repository = "it/podman/imported";
        String ref = registry.ref(repository, "v1");

        tools.podman("import", "--message", "berth integration test", rootfs.tar().toString(), ref).runOk();
        String imageId = tools.podman("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine();

        Path digestFile = work.resolve("pushed-digest");
        tools.podman("push", "--tls-verify=false", "--digestfile", digestFile.toString(), ref).runOk();
        String pushedDigest = read(digestFile);
        assertThat(pushedDigest).startsWith("sha256:");
        RegistryApi.Manifest served = new RegistryApi(registry).manifest(repository, "v1");
        assertThat(served.digest()).as("digest of the manifest served for %s", ref).isEqualTo(pushedDigest);

        tools.podman("rmi", ref).runOk();
        Command.Result gone = tools.podman("image", "exists", imageId).run();
        assertThat(gone.exitCode()).as("image %s still present after rmi", imageId).isEqualTo(1);

        tools.podman("pull", "--tls-verify=false", ref).runOk();
        assertThat(tools.podman("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine())
                .as("image id after the pull").isEqualTo(imageId);
        assertThat(tools.podman("image", "inspect", "--format", "{{.Digest}}", ref).runOk().lastLine())
                .as("manifest digest after the pull").isEqualTo(pushedDigest);

        Path mounted = Path.of(tools.podman("image", "mount", ref).runOk().lastLine());
        try {
            assertThat(rootfs.differences(RootfsTar.readTree(mounted))).as("files of the pulled image (mounted at %s)", mounted)
                    .isEmpty();
        } finally {
            tools.podman("image", "unmount", ref).run();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (java.io.IOException e) {
            throw new AssertionError("podman wrote no digest file " + file, e);
        }
    }
}
