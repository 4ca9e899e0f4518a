package dev.berth.it.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.TokenServiceProcess;
import dev.berth.it.harness.Tools;
import dev.berth.it.images.Descriptor;
import dev.berth.it.images.OciLayout;
import dev.berth.it.images.RandomContent;
import dev.berth.it.images.RootfsTar;

/**
 * registry-api serving HTTPS with a certificate from a local CA made by deploy/local/make-certs:
 * skopeo pushes and pulls with the CA trusted and certificate verification on, and is refused
 * without it; docker pushes and pulls over HTTPS with the CA in /etc/docker/certs.d. With authentication,
 * token-service serves HTTPS only too (as deploy/local/up --tls runs it): the challenge's realm is https, its plain
 * HTTP port is never opened, registry-api fetches the JWKS over https, and a login works end to end over HTTPS.
 */
@ExtendWith(RegistryExtension.class)
class TlsIT {
    private static RegistryProcess registry;
    private static Path certs;
    private static int tlsPort;
    private static Path dockerCertsDir;
    private static ItEnvironment env;
    private static EmbeddedDatabase db;

    @BeforeAll
    static void start(ItEnvironment environment) {
        Assumptions.assumeTrue(ItEnvironment.selectedRegistry().equals("berth"), "TLS test runs against Berth only");
        Tools.require("openssl", "curl");
        certs = ItPaths.newWorkDir("tls-certs");
        Command.of(ItPaths.repoRoot().resolve("deploy/local/make-certs").toString(), certs.toString()).runOk();
        EmbeddedDatabase database = environment.database();
        env = environment;
        db = database;
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
        awaitWithin30s(https, () -> Command.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                certs.resolve("ca.crt").toString(), https).run().output().trim().equals("200"));
    }

    private static void awaitHttps(HttpClient client, String url) {
        awaitWithin30s(url, () -> Http.statusOrMinusOne(client, URI.create(url)) > 0);
    }

    /** Polls every 250 ms until {@code answered} holds; fails after 30 s. */
    private static void awaitWithin30s(String url, java.util.function.BooleanSupplier answered) {
        for (int i = 0; i < 120; i++) {
            if (answered.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError(url + " did not answer within 30 s");
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
            SingleLayerImage image = singleLayerImage("tls-layout", 200_000, 42);
            String remote = "docker://127.0.0.1:" + tlsPort + "/it/tls/app:v1";
            String trust = certs.resolve("trust").toString();
            tools.skopeo("copy", "--preserve-digests", "--dest-cert-dir", trust, "oci:" + image.layout().dir() + ":v1", remote)
                    .runOk();

            Command.Result untrusted = tools.skopeo("inspect", "--raw", remote).run();
            assertThat(untrusted.exitCode()).as("inspect without the CA must fail: %s", untrusted.output()).isNotZero();
            assertThat(untrusted.output()).contains("certificate signed by unknown authority");

            Command.Result inspect = tools.skopeo("inspect", "--raw", "--cert-dir", trust, remote).runOk();
            assertThat(inspect.output()).contains(image.layer().digest());
            OciLayout pulled = OciLayout.create(ItPaths.newWorkDir("tls-pulled"));
            tools.skopeo("copy", "--preserve-digests", "--src-cert-dir", trust, remote, "oci:" + pulled.dir() + ":v1").runOk();
            assertThat(pulled.readBlob(image.layer().digest())).isEqualTo(image.layerBytes());
            // HTTP/2 is negotiated over TLS
            Command.Result curl = Command.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_version}", "--cacert",
                    certs.resolve("ca.crt").toString(), "https://127.0.0.1:" + tlsPort + "/v2/").runOk();
            assertThat(curl.output().trim()).isEqualTo("2");
        }
    }

    @Test
    void withAuthenticationNoCredentialTravelsOverPlainHttp() throws Exception {
        Tools.require("skopeo");
        String adminPassword = "tls-admin-" + Long.toHexString(System.nanoTime());
        String tokenDb = "tls_tokens_" + Long.toHexString(System.nanoTime());
        String registryDb = "tls_auth_" + Long.toHexString(System.nanoTime());
        db.createDatabase(tokenDb);
        db.createDatabase(registryDb);
        // the built-in user store (no Keycloak): what deploy/local/up --tls runs by default
        TokenServiceProcess tokens = env.track(TokenServiceProcess.startTls("tls", db, tokenDb, certs, Map.of(
                "token.local.admin-password", adminPassword)));
        assertThat(tokens.realm()).startsWith("https://127.0.0.1:");
        int apiPort = FreePorts.loopbackPort();
        env.track(RegistryProcess.start("tls-auth", db, registryDb, ItPaths.newWorkDir("tls-auth-storage"), Map.of(
                "quarkus.http.ssl.certificate.files", certs.resolve("server.crt").toString(),
                "quarkus.http.ssl.certificate.key-files", certs.resolve("server.key").toString(),
                "quarkus.http.ssl-port", String.valueOf(apiPort),
                "registry.auth.enabled", "true",
                "registry.auth.realm", tokens.realm(),
                "registry.auth.service", "berth-registry",
                "registry.auth.jwks-trust-certificates", certs.resolve("ca.crt").toString())));
        HttpClient trusting = Http.trusting(certs.resolve("ca.crt"));
        String api = "https://127.0.0.1:" + apiPort;
        awaitHttps(trusting, api + "/v2/");

        // (a) the challenge sends clients to token-service over https
        HttpResponse<String> challenge = trusting.send(HttpRequest.newBuilder(URI.create(api + "/v2/")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(challenge.statusCode()).isEqualTo(401);
        String header = challenge.headers().firstValue("WWW-Authenticate").orElseThrow();
        Matcher realm = Pattern.compile("realm=\"([^\"]+)\"").matcher(header);
        assertThat(realm.find()).as(header).isTrue();
        assertThat(realm.group(1)).isEqualTo(tokens.realm()).startsWith("https://");

        // (b) no plain HTTP anywhere at token-service: its HTTP port is not open, and plain HTTP to the TLS port
        // gets no token
        String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + adminPassword).getBytes(StandardCharsets.UTF_8));
        try (Socket socket = new Socket()) {
            assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", tokens.plainPort()), 2_000))
                    .as("nothing may listen on token-service's plain HTTP port %d", tokens.plainPort())
                    .isInstanceOf(ConnectException.class);
        }
        String plainOnTlsPort = "http://127.0.0.1:" + tokens.port() + "/token?service=berth-registry";
        try {
            HttpResponse<String> plain = Http.client().send(HttpRequest.newBuilder(URI.create(plainOnTlsPort))
                    .header("Authorization", basic).timeout(java.time.Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(plain.statusCode()).as("plain HTTP to the TLS port: %s", plain.body()).isNotEqualTo(200);
            assertThat(plain.body()).doesNotContain("\"token\"");
        } catch (IOException refused) {
            // the TLS listener dropped the plain HTTP connection: just as good
        }

        // (c) a login following the challenge, over HTTPS end to end: skopeo pushes with credentials...
        try (ContainersTools tools = ContainersTools.create("skopeo-tls-auth")) {
            SingleLayerImage image = singleLayerImage("tls-auth-layout", 50_000, 7);
            String remote = "docker://127.0.0.1:" + apiPort + "/it/tls-auth/app:v1";
            String trust = certs.resolve("trust").toString();
            Command.Result anonymous = tools.skopeo("copy", "--preserve-digests", "--dest-cert-dir", trust,
                    "oci:" + image.layout().dir() + ":v1", remote).run();
            assertThat(anonymous.exitCode()).as("an anonymous push must be refused: %s", anonymous.output()).isNotZero();
            tools.skopeo("copy", "--preserve-digests", "--dest-cert-dir", trust, "--dest-creds", "admin:" + adminPassword,
                    "oci:" + image.layout().dir() + ":v1", remote).runOk();
            Command.Result inspect = tools.skopeo("inspect", "--raw", "--cert-dir", trust, "--creds",
                    "admin:" + adminPassword, remote).runOk();
            assertThat(inspect.output()).contains(image.layer().digest());

            // ... and the JDK client does what docker does: realm and service from the challenge, Basic credentials
            // to the realm over https, the bearer token to registry-api (which verifies it with the JWKS it fetched
            // over https)
            Matcher service = Pattern.compile("service=\"([^\"]+)\"").matcher(header);
            assertThat(service.find()).isTrue();
            URI tokenUri = URI.create(realm.group(1) + "?service=" + service.group(1)
                    + "&scope=repository:it/tls-auth/app:pull");
            assertThat(tokenUri.getScheme()).isEqualTo("https");
            HttpResponse<String> token = trusting.send(HttpRequest.newBuilder(tokenUri).header("Authorization", basic)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
            Matcher jwt = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(token.body());
            assertThat(jwt.find()).as(token.body()).isTrue();
            HttpResponse<String> pulled = trusting.send(HttpRequest.newBuilder(URI.create(api
                    + "/v2/it/tls-auth/app/manifests/v1")).header("Authorization", "Bearer " + jwt.group(1))
                    .header("Accept", "application/vnd.oci.image.manifest.v1+json").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
            assertThat(pulled.body()).contains(image.layer().digest());
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

    /** An OCI layout holding one image tagged {@code v1}, its random layer and that layer's bytes. */
    private record SingleLayerImage(OciLayout layout, Descriptor layer, byte[] layerBytes) {
    }

    private static SingleLayerImage singleLayerImage(String workDir, int layerSize, long seed) {
        OciLayout layout = OciLayout.create(ItPaths.newWorkDir(workDir));
        byte[] layerBytes = new byte[layerSize];
        new java.util.Random(seed).nextBytes(layerBytes);
        Descriptor layer = layout.writeBlob("application/vnd.oci.image.layer.v1.tar", layerBytes);
        Descriptor config = layout.writeJson("application/vnd.oci.image.config.v1+json",
                Map.of("architecture", "amd64", "os", "linux"));
        Descriptor manifest = layout.writeJson("application/vnd.oci.image.manifest.v1+json", Map.of(
                "schemaVersion", 2, "mediaType", "application/vnd.oci.image.manifest.v1+json",
                "config", config.toJson(), "layers", java.util.List.of(layer.toJson())));
        layout.writeIndexJson(manifest, "v1");
        return new SingleLayerImage(layout, layer, layerBytes);
    }
}
