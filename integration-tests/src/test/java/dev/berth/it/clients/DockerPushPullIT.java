package dev.berth.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.DockerDaemon;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryApi;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryUnderTest;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;
import dev.berth.it.images.TarReader;

/**
 * docker push and docker pull through a dockerd of the test's own: an image imported from a generated
 * root file system tar is pushed, removed locally, pulled again, and must come back with the same image
 * id, the pushed manifest digest and the same files.
 */
@ExtendWith(RegistryExtension.class)
class DockerPushPullIT {

    private static final Pattern PUSHED_DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

    private static DockerDaemon daemon;

    @BeforeAll
    static void startDockerd(ItEnvironment environment) {
        daemon = environment.track(DockerDaemon.start());
    }

    @AfterAll
    static void stopDockerd() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void pushedImageIsPulledBackIdentical(RegistryUnderTest registry) throws Exception {
        Path work = ItPaths.newWorkDir("docker-image");
        RootfsTar rootfs = RootfsTar.generate(work.resolve("rootfs.tar"), "docker", RandomContent.fresh("docker rootfs"));
        String repository = "it/docker/imported";
        String ref = registry.ref(repository, "v1");

        daemon.docker("import", "--message", "berth integration test", rootfs.tar().toString(), ref).runOk();
        String imageId = inspect(ref, "{{.Id}}");

        String pushedDigest = pushedDigest(daemon.docker("push", ref).runOk());
        RegistryApi.Manifest served = new RegistryApi(registry).manifest(repository, "v1");
        assertThat(served.digest()).as("digest of the manifest the registry serves for %s", ref).isEqualTo(pushedDigest);

        // the same image under a second tag and in a second repository: blobs exist or are mounted
        String secondTag = registry.ref(repository, "v2");
        String otherRepository = registry.ref("it/docker/other", "v1");
        daemon.docker("tag", ref, secondTag).runOk();
        daemon.docker("tag", ref, otherRepository).runOk();
        assertThat(pushedDigest(daemon.docker("push", secondTag).runOk())).as("digest pushed for %s", secondTag)
                .isEqualTo(pushedDigest);
        assertThat(pushedDigest(daemon.docker("push", otherRepository).runOk())).as("digest pushed for %s", otherRepository)
                .isEqualTo(pushedDigest);

        // forget the image locally, then pull it
        daemon.docker("rmi", ref, secondTag, otherRepository).runOk();
        Command.Result gone = daemon.docker("image", "inspect", imageId).run();
        assertThat(gone.exitCode()).as("image %s still present after rmi: %s", imageId, gone.output()).isNotZero();

        Command.Result pull = daemon.docker("pull", ref).runOk();
        assertThat(pull.output()).as("pull output").contains("Digest: " + pushedDigest);
        assertThat(inspect(ref, "{{.Id}}")).as("image id after the pull").isEqualTo(imageId);
        assertThat(inspect(ref, "{{json .RepoDigests}}")).as("repo digests after the pull")
                .contains(registry.hostPort() + "/" + repository + "@" + pushedDigest);

        Command.Result otherPull = daemon.docker("pull", otherRepository).runOk();
        assertThat(otherPull.output()).contains("Digest: " + pushedDigest);

        // the files, read back through a (never started) container
        String container = daemon.docker("create", "--network", "none", ref, "/berth-it-never-runs").runOk().lastLine();
        try {
            Path exported = work.resolve("exported.tar");
            daemon.docker("export", "--output", exported.toString(), container).runOk();
            Map<String, TarReader.Entry> files;
            try (var in = Files.newInputStream(exported)) {
                files = TarReader.read(in);
            }
            assertThat(rootfs.differences(files)).as("files of the pulled image vs the generated tar").isEmpty();
        } finally {
            daemon.docker("rm", "--force", container).run();
        }
    }

    private static String inspect(String ref, String format) {
        return daemon.docker("image", "inspect", "--format", format, ref).runOk().lastLine();
    }

    private static String pushedDigest(Command.Result push) {
        Matcher matcher = PUSHED_DIGEST.matcher(push.output());
        if (!matcher.find()) {
            throw new AssertionError("no digest in the push output: " + push.describe());
        }
        return matcher.group(1);
    }
}
