package dev.berth.it.auth;

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
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;

/**
 * podman login/push/pull and skopeo --creds through registry-api + token-service + a real Keycloak.
 */
@ExtendWith(RegistryExtension.class)
class PodmanAndSkopeoLoginIT {

    private static AuthStack stack;
    private ContainersTools tools;

    @BeforeAll
    static void start(ItEnvironment environment) {
        Tools.require("podman", "skopeo");
        stack = AuthStack.get(environment);
    }

    @BeforeEach
    void storage() {
        tools = ContainersTools.create("podman-auth");
    }

    @AfterEach
    void cleanUp() {
        tools.close();
    }

    private String importImage(String label, String ref) {
        Path work = ItPaths.newWorkDir("podman-auth-" + label);
        RootfsTar rootfs = RootfsTar.generate(work.resolve("rootfs.tar"), label, RandomContent.fresh("podman auth " + label));
        tools.podman("import", rootfs.tar().toString(), ref).runOk();
        return tools.podman("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine();
    }

    @Test
    void podmanLoginPushPull() throws Exception {
        Command.Result wrong = tools.podman("login", "--tls-verify=false", "-u", "carol", "-p", "nope", stack.host()).run();
        assertThat(wrong.exitCode()).as(wrong.describe()).isNotZero();

        tools.podman("login", "--tls-verify=false", "-u", "carol", "-p", "carol-password", stack.host()).runOk();
        String ref = stack.ref("team-a/podman-app", "v1");
        String id = importImage("carol", ref);
        tools.podman("push", "--tls-verify=false", ref).runOk();
        tools.podman("rmi", ref).runOk();
        tools.podman("pull", "--tls-verify=false", ref).runOk();
        assertThat(tools.podman("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine()).isEqualTo(id);

        Command.Result denied = tools.podman("push", "--tls-verify=false", ref, "docker://" + stack.ref("team-b/podman-app", "v1")).run();
        assertThat(denied.exitCode()).as(denied.describe()).isNotZero();
        tools.podman("logout", stack.host()).runOk();
        String auth = Files.readString(tools.dir().resolve("auth.json"));
        assertThat(auth).doesNotContain(stack.host());
    }

    @Test
    void skopeoWithCredentials() {
        String local = "localhost/skopeo-auth:v1";
        importImage("skopeo", local);
        String remote = "docker://" + stack.ref("alice/skopeo-app", "v1");
        tools.skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-password",
                "containers-storage:" + local, remote).runOk();

        Command.Result inspect = tools.skopeo("inspect", "--tls-verify=false", "--creds", "alice:alice-password", remote).runOk();
        assertThat(inspect.output()).contains("alice/skopeo-app");
        // bob may not read alice's namespace; nobody may read it anonymously; a wrong password is refused
        assertThat(tools.skopeo("inspect", "--tls-verify=false", "--creds", "bob:bob-password", remote).run().exitCode()).isNotZero();
        assertThat(tools.skopeo("inspect", "--tls-verify=false", "--no-creds", remote).run().exitCode()).isNotZero();
        assertThat(tools.skopeo("inspect", "--tls-verify=false", "--creds", "alice:wrong", remote).run().exitCode()).isNotZero();

        // the service account copies it into its own namespace with a cross-repository read it is not allowed
        Command.Result refused = tools.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--src-creds", "ci-builder:ci-builder-dev-secret", "--dest-creds", "ci-builder:ci-builder-dev-secret",
                remote, "docker://" + stack.ref("ci/skopeo-copy", "v1")).run();
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        // and alice may copy between her namespaces
        tools.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", "alice:alice-password",
                "--dest-creds", "alice:alice-password", remote, "docker://" + stack.ref("alice/skopeo-copy", "v1")).runOk();
    }
}
