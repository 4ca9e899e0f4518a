package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.devtools.keycloak.KeycloakServer;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.CatalogServiceProcess;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.TestCluster;
import dev.berth.it.harness.TokenServiceProcess;
import dev.berth.it.images.RandomContent;

/**
 * Per-caller visibility in catalog-service, end to end: a real Keycloak with the Berth realm, token-service against
 * it, one registry-api and catalog-service (authentication on, token-service's JWKS) on an event-bus cluster of
 * their own. Images are pushed into alice's, bob's, team-a's and the public namespace; then each caller asks
 * token-service for {@code registry:catalog:*} and lists the catalog with that token:
 * <ul>
 * <li>alice (member of /registry/team-a) sees alice/…, team-a/… and public/…, never bob/…;</li>
 * <li>bob sees bob/… and public/…, never alice/… or team-a/…;</li>
 * <li>an anonymous token sees public/… only, the admin ada everything;</li>
 * <li>no token: 401 with a Bearer challenge naming token-service's realm and {@code registry:catalog:*}.</li>
 * </ul>
 * registry-api runs without authentication here: what is checked is catalog-service's filter by the token's
 * {@code pullable} globs. Berth only.
 */
class CatalogVisibilityIT extends ReplicaScenario {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final List<String> REPOSITORIES = List.of("alice/app", "bob/app", "team-a/app", "public/base");

    private TokenServiceProcess tokenService;
    private RegistryProcess registry;
    private CatalogServiceProcess catalog;
    private final RandomContent random = RandomContent.fresh("catalog-visibility");

    @Override
    protected ReplicaStorage createStorage() {
        return new SharedFolderStorage("catalog-visibility-storage");
    }

    @BeforeAll
    void startProcesses(ItEnvironment environment) {
        if (!againstBerth()) {
            return;
        }
        CatalogServiceProcess.runnerJar();
        TokenServiceProcess.runnerJar();
        KeycloakServer keycloak = environment.track(KeycloakServer.start(KeycloakServer.Options.defaults()
                .withLogFile(ItPaths.newLogFile("keycloak-visibility"))));
        tokenService = environment.track(TokenServiceProcess.start("visibility", database, databaseName, Map.of(
                "token.services", "berth-registry",
                "token.keycloak.url", keycloak.url(),
                "token.keycloak.client-secret", KeycloakServer.TOKEN_SERVICE_SECRET)));
        TestCluster cluster = TestCluster.fresh(5);
        registry = startReplica("visibility", cluster.properties());
        Map<String, String> catalogProperties = new LinkedHashMap<>(cluster.properties());
        catalogProperties.put("catalog.auth.enabled", "true");
        catalogProperties.put("catalog.auth.jwks-url", tokenService.baseUrl() + "/.well-known/jwks.json");
        catalogProperties.put("catalog.auth.realm", tokenService.realm());
        catalog = environment.track(CatalogServiceProcess.start("visibility", database, databaseName, catalogProperties));
    }

    @AfterAll
    void stopProcesses() {
        ManagedProcess.stopAll(catalog, registry, tokenService);
    }

    @Test
    @Order(1)
    void everyCallerSeesWhatItMayPull() {
        for (String repository : REPOSITORIES) {
            push(repository, "1.0");
        }
        String admin = catalogToken("ada", "ada-password");
        awaitRepositories(admin, REPOSITORIES);

        assertThat(repositories(catalogToken("alice", "alice-password")))
                .containsExactlyInAnyOrder("alice/app", "team-a/app", "public/base");
        assertThat(repositories(catalogToken("bob", "bob-password"))).containsExactlyInAnyOrder("bob/app", "public/base");
        assertThat(repositories(catalogToken(null, null))).containsExactly("public/base");
        assertThat(repositories(admin)).containsExactlyInAnyOrderElementsOf(REPOSITORIES);
    }

    @Test
    @Order(2)
    void aRepositoryOutsideThePullableGlobsIsNotFoundForThatCaller() {
        String bob = catalogToken("bob", "bob-password");
        assertThat(status("/api/v1/repositories/alice/app", bob)).as("bob asks for alice/app").isEqualTo(404);
        assertThat(status("/api/v1/repositories/alice/app/tags", bob)).as("bob asks for alice/app's tags").isEqualTo(404);
        assertThat(status("/api/v1/repositories/bob/app", bob)).as("bob asks for bob/app").isEqualTo(200);
        JsonNode search = json(get("/api/v1/search?q=app", bob));
        List<String> found = new ArrayList<>();
        search.path("repositories").forEach(r -> found.add(r.path("name").asText()));
        search.path("tags").forEach(t -> found.add(t.path("repository").asText()));
        assertThat(found).as("bob's search for 'app'").contains("bob/app").doesNotContain("alice/app", "team-a/app");
    }

    @Test
    @Order(3)
    void withoutATokenTheAnswerIsAChallenge() {
        HttpResponse<byte[]> response = get("/api/v1/repositories", null);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge -> assertThat(challenge)
                .startsWith("Bearer ")
                .contains("realm=\"" + tokenService.realm() + "\"")
                .contains("service=\"berth-registry\"")
                .contains("scope=\"registry:catalog:*\""));
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("\"errors\"");
    }

    // ---------------------------------------------------------------------------------------------------------

    private void push(String repository, String tag) {
        byte[] layer = random.bytes(1024);
        String layerDigest = ReplicaApi.pushBlob(registry, repository, layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + layerDigest + "\"]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = ReplicaApi.pushBlob(registry, repository, config);
        ReplicaApi.putManifest(registry, repository, tag,
                ReplicaApi.imageManifest(configDigest, config.length, Map.of(layerDigest, (long) layer.length)));
    }

    /** A token of token-service for {@code registry:catalog:*} (anonymous when {@code user} is null). */
    private String catalogToken(String user, String password) {
        HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(tokenService.realm()
                + "?service=berth-registry&scope=" + URLEncoder.encode("registry:catalog:*", StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).GET();
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<byte[]> response = Http.send(request.build());
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as("token for %s: %s", user, body).isEqualTo(200);
        return json(response).path("token").asText();
    }

    private void awaitRepositories(String token, List<String> expected) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        List<String> shown = List.of();
        while (System.nanoTime() < deadline) {
            shown = repositories(token);
            if (shown.containsAll(expected)) {
                return;
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        throw new AssertionError("the admin does not see " + expected + " within " + SETTLE.toSeconds() + " s (shown: "
                + shown + ")\n" + catalog.process().describe() + "\n" + registry.describe());
    }

    private List<String> repositories(String token) {
        HttpResponse<byte[]> response = get("/api/v1/repositories?size=500", token);
        assertThat(response.statusCode()).as("repository list: %s", new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        JsonNode page = json(response);
        List<String> names = new ArrayList<>();
        page.path("items").forEach(item -> names.add(item.path("name").asText()));
        assertThat(page.path("total").asLong()).as("total of %s", names).isEqualTo(names.size());
        return names;
    }

    private int status(String path, String token) {
        return get(path, token).statusCode();
    }

    private HttpResponse<byte[]> get(String pathAndQuery, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(catalog.uri(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json").GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return Http.send(request.build());
    }

    private static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
