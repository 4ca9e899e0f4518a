package dev.berth.it.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.DockerDaemon;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;

/**
 * docker login, push and pull through registry-api + token-service + a real Keycloak: a person (identity
 * token, later pushes use the refresh flow), a CI service account with its secret, a CI job with a federated
 * token, anonymous pulls of a public namespace, and refusals.
 */
@ExtendWith(RegistryExtension.class)
class DockerLoginIT {

    private static DockerDaemon daemon;
    private static AuthStack stack;

    @BeforeAll
    static void start(ItEnvironment environment) {
        daemon = environment.track(DockerDaemon.start());
        stack = AuthStack.get(environment);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static String importImage(String label, String ref) {
        Path work = ItPaths.newWorkDir("docker-auth-" + label);
        RootfsTar rootfs = RootfsTar.generate(work.resolve("rootfs.tar"), label, RandomContent.fresh("docker auth " + label));
        daemon.docker("import", rootfs.tar().toString(), ref).runOk();
        return daemon.docker("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine();
    }

    private static Command.Result login(String user, String password) {
        return daemon.docker("login", "-u", user, "-p", password, stack.host()).run();
    }

    @Test
    void personLogsInPushesWithTheIdentityTokenAndPulls() throws Exception {
        Command.Result login = login("alice", "alice-password");
        assertThat(login.exitCode()).as(login.describe()).isZero();
        assertThat(login.output()).contains("Login Succeeded");
        String config = Files.readString(daemon.clientConfigDir().resolve("config.json"));
        assertThat(config).as("docker stores an identity token, not the password").contains("identitytoken")
                .doesNotContain("alice-password");

        int usedBefore = stack.usedRefreshTokens("alice");
        String ref = stack.ref("team-a/docker-app", "v1");
        String id = importImage("alice", ref);
        daemon.docker("push", ref).runOk();
        assertThat(stack.usedRefreshTokens("alice")).as("the push obtained its token with the refresh token")
                .isGreaterThan(usedBefore);

        daemon.docker("rmi", ref).runOk();
        daemon.docker("pull", ref).runOk();
        assertThat(daemon.docker("image", "inspect", "--format", "{{.Id}}", ref).runOk().lastLine()).isEqualTo(id);

        // a namespace alice may not push to
        String denied = stack.ref("team-b/docker-app", "v1");
        daemon.docker("tag", ref, denied).runOk();
        Command.Result refused = daemon.docker("push", denied).run();
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.output().toLowerCase()).containsAnyOf("denied", "unauthorized", "insufficient_scope");
        daemon.docker("rmi", ref, denied).run();
        daemon.docker("logout", stack.host()).runOk();
    }

    @Test
    void identityTokenOfADisabledAccountStaysDeadAfterItIsEnabledAgain() {
        assertThat(login("dave", "dave-password").exitCode()).isZero();
        String ref = stack.ref("dave/docker-app", "v1");
        importImage("dave", ref);
        daemon.docker("push", ref).runOk();
        stack.keycloakAdmin().setUserEnabled("dave", false);
        Command.Result whileDisabled;
        try {
            whileDisabled = daemon.docker("push", ref).run();
        } finally {
            stack.keycloakAdmin().setUserEnabled("dave", true);
        }
        assertThat(whileDisabled.exitCode()).as(whileDisabled.describe()).isNotZero();
        // enabled again: the identity token docker stored before is dead for good, and docker says what to do
        Command.Result afterEnable = daemon.docker("push", ref).run();
        assertThat(afterEnable.exitCode()).as(afterEnable.describe()).isNotZero();
        assertThat(afterEnable.output()).contains("log in again").doesNotContain("authentication failed");
        assertThat(login("dave", "dave-password").exitCode()).isZero();
        daemon.docker("push", ref).runOk();
        daemon.docker("rmi", ref).run();
        daemon.docker("logout", stack.host()).runOk();
    }

    @Test
    void wrongPasswordIsRefused() {
        Command.Result login = login("alice", "not-the-password");
        assertThat(login.exitCode()).as(login.describe()).isNotZero();
        assertThat(login.output()).contains("authentication failed");
    }

    @Test
    void ciServiceAccountLogsInWithItsSecret() {
        Command.Result login = login("ci-builder", "ci-builder-dev-secret");
        assertThat(login.exitCode()).as(login.describe()).isZero();
        String ref = stack.ref("ci/secret-built", "1");
        importImage("ci-secret", ref);
        daemon.docker("push", ref).runOk();
        daemon.docker("rmi", ref).runOk();
        daemon.docker("pull", ref).runOk();
        daemon.docker("rmi", ref).run();
        daemon.docker("logout", stack.host()).runOk();
    }

    @Test
    void ciJobLogsInWithAFederatedToken() {
        // what a CI platform hands a job: an OIDC token with aud=berth-registry (here issued by Keycloak)
        String jobToken = stack.keycloakAdmin().clientCredentialsToken("ci-pipeline", "ci-pipeline-dev-secret");
        Command.Result login = login("oidc", jobToken);
        assertThat(login.exitCode()).as(login.describe()).isZero();
        String ref = stack.ref("ci/federated-built", "1");
        importImage("ci-federated", ref);
        daemon.docker("push", ref).runOk();
        daemon.docker("rmi", ref).run();
        daemon.docker("logout", stack.host()).runOk();
    }

    @Test
    void anonymousPullsPublicButNotPrivateRepositories() {
        assertThat(login("ada", "ada-password").exitCode()).isZero();
        String pub = stack.ref("public/base", "1");
        String priv = stack.ref("team-a/private", "1");
        importImage("public", pub);
        daemon.docker("tag", pub, priv).runOk();
        daemon.docker("push", pub).runOk();
        daemon.docker("push", priv).runOk();
        daemon.docker("logout", stack.host()).runOk();
        daemon.docker("rmi", pub, priv).runOk();

        daemon.docker("pull", pub).runOk();
        Command.Result refused = daemon.docker("pull", priv).run();
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        daemon.docker("rmi", pub).run();
    }
}
