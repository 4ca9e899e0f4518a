package dev.berth.it.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.ContainersTools;
import dev.berth.it.harness.DockerDaemon;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;

/**
 * registry-api serving HTTPS with a certificate from a local CA made by deploy/local/make-certs:
 * skopeo pushes and pulls with the CA trusted and certificate verification on, and is refused
 * without it; docker pushes and pulls over HTTPS with the CA in /etc/docker/certs.d.
 */
@ExtendWith(RegistryExtension.class)
class TlsIT {
    private static RegistryProcess registry;
    private static Path certs;
    private static int tlsPort;
    private static Path dockerCertsDir;

    @BeforeAll
    static void start(ItEnvironment environment) {
        Assumptions.assumeTrue(ItEnvironment.selectedRegistry().equals("berth"), "TLS test runs against Berth only");
        Tools.require("openssl", "curl");
        certs = ItPaths.newWorkDir("tls-certs");
        Command.of(ItPaths.repoRoot().resolve("deploy/local/make-certs").toString(), certs.toString()).runOk();
        EmbeddedDatabase database = environment.database();
        String databaseName = "tls_" + Long.toHexString(System.nanoTime());
        database.createDatabase(databaseName);
        tlsPort = FreePorts.loopbackPort();
        registry = environment.track(RegistryProcess.start("tls", database, databaseName,
                ItPaths.newWorkDir("tls-storage"), Map.of(
                        "quarkus.http.ssl.certificate.files", certs.resolve("server.crt").toString(),
                        "quarkus.http.ssl.certificate.key-files", certs.resolve("server.key").toString(),
                        "quarkus.http.ssl-port", String.valueOf(tlsPort))));
        // readiness is checked on the plain HTTP port; the HTTPS listener may bind a moment later
        String https = "https://127.0.0.1:" + tlsPort + "/v2/";
        for (int i = 0; i < 120; i++) {
            Command.Result probe = Command.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                    certs.resolve("ca.crt").toString(), https).run();
            if (probe.output().trim().equals("200")) {
                return;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("registry-api did not answer on " + https + " within 30 s");
    }

    @AfterAll
    static void removeDockerTrust() {
        if (dockerCertsDir != null) {
            ItPaths.deleteTree(dockerCertsDir);
        }
    }

    @Test
    void skopeoVerifiesTheCertificateAgainstTheLocalCa() throws Exception {
        Tools.require("skopeo");
        try (ContainersTools tools = ContainersTools.create("skopeo-tls")) {
            OciLayout layout = OciLayout.create(ItPaths.newWorkDir("tls-layout"));
            byte[] layerBytes = new byte[200_000];
            new java.util.Random(42).nextBytes(layerBytes);
            Descriptor layer = layout.writeBlob("application/vnd.oci.image.layer.v1.tar", layerBytes);
            Descriptor config = layout.writeJson("application/vnd.oci.image.config.v1+json",
                    Map.of("architecture", "amd64", "os", "linux"));
            Descriptor manifest = layout.writeJson("application/vnd.oci.image.manifest.v1+json", Map.of(
                    "schemaVersion", 2, "mediaType", "application/vnd.oci.image.manifest.v1+json",
                    "config", config.toJson(), "layers", java.util.List.of(layer.toJson())));
            layout.writeIndexJson(manifest, "v1");
            String remote = "docker://127.0.0.1:" + tlsPort + "/it/tls/app:v1";
            String trust = certs.resolve("trust").toString();
            tools.skopeo("copy", "--preserve-digests", "--dest-cert-dir", trust, "oci:" + layout.dir() + ":v1", remote)
                    .runOk();

            Command.Result untrusted = tools.skopeo("inspect", "--raw", remote).run();
            assertThat(untrusted.exitCode()).as("inspect without the CA must fail: %s", untrusted.output()).isNotZero();
            assertThat(untrusted.output()).contains("certificate signed by unknown authority");

            Command.Result inspect = tools.skopeo("inspect", "--raw", "--cert-dir", trust, remote).runOk();
            assertThat(inspect.output()).contains(layer.digest());
            OciLayout pulled = OciLayout.create(ItPaths.newWorkDir("tls-pulled"));
            tools.skopeo("copy", "--preserve-digests", "--src-cert-dir", trust, remote, "oci:" + pulled.dir() + ":v1").runOk();
            assertThat(pulled.readBlob(layer.digest())).isEqualTo(layerBytes);
            // HTTP/2 is negotiated over TLS
            Command.Result curl = Command.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--cacert",
                    certs.resolve("ca.crt").toString(), "https://127.0.0.1:" + tlsPort + "/v2/").runOk();
            assertThat(curl.output().trim()).isEqualTo("2");
        }
    }

    @Test
    void dockerPushesAndPullsOverHttps() throws Exception {
        Tools.require("dockerd", "docker");
        // where docker looks for the CA of a registry host:port
        dockerCertsDir = Path.of("/etc/docker/certs.d/127.0.0.1:" + tlsPort);
        Files.createDirectories(dockerCertsDir);
        Files.copy(certs.resolve("ca.crt"), dockerCertsDir.resolve("ca.crt"));
        try (DockerDaemon daemon = DockerDaemon.start()) {
            Path work = ItPaths.newWorkDir("tls-docker");
            RootfsTar rootfs = RootfsTar.generate(work.resolve("rootfs.tar"), "docker-tls", RandomContent.fresh("d"));
            String ref = "127.0.0.1:" + tlsPort + "/it/tls/docker:v1";
            daemon.docker("import", rootfs.tar().toString(), ref).runOk();
            String id = daemon.docker("image", "inspect", "--format", "{{.Id}}", ref).runOk().output().trim();
            daemon.docker("push", ref).runOk();
            daemon.docker("rmi", ref).runOk();
            daemon.docker("pull", ref).runOk();
            assertThat(daemon.docker("image", "inspect", "--format", "{{.Id}}", ref).runOk().output().trim()).isEqualTo(id);
        }
    }
}
