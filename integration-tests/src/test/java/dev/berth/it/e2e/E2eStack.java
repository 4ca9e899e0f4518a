package dev.berth.it.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.devtools.infinispan.InfinispanServer;
import dev.berth.devtools.keycloak.KeycloakServer;
import dev.berth.devtools.s3.S3ProxyClient;
import dev.berth.devtools.s3.S3ProxyServer;
import dev.berth.it.gc.GcRuns;
import dev.berth.it.harness.CatalogServiceProcess;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.GcWorkerProcess;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.TestCluster;
import dev.berth.it.harness.TokenServiceProcess;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The whole system, once per test JVM, shared by the end-to-end tests ({@code dev.berth.it.e2e}): real PostgreSQL
 * (restartable, one database {@value #DATABASE} for every service's schema), a real S3 server (S3Proxy, bucket
 * {@value #BUCKET}), a real Infinispan server, the run's Keycloak with the Berth realm, and the four services as
 * processes on one event-bus cluster of their own: token-service (against Keycloak, with {@link #POLICY}),
 * two registry-api replicas (S3 storage, Infinispan manifest cache, authentication on), catalog-service
 * (authentication on) and two gc-workers (authentication on, grace {@link #GC_GRACE}, no schedule, the retention
 * policy {@value #RETENTION_POLICY} for {@value #RETENTION_REPOSITORIES}).
 * <p>
 * Everything a test stops it starts again before it ends ({@link #awaitHealthy()} checks): the tests run one after
 * another in one JVM on this one stack.
 */
public final class E2eStack implements AutoCloseable {

    public static final String SERVICE = "berth-registry";
    public static final String DATABASE = "berth";
    public static final String BUCKET = "berth-e2e";
    /** Nothing unused is deleted before this (gc.grace): short, so that a test can wait for it. */
    public static final Duration GC_GRACE = Duration.ofSeconds(3);
    /** A gc-worker without a heartbeat for this long is presumed dead (gc.worker-lease). */
    public static final Duration GC_WORKER_LEASE = Duration.ofSeconds(6);
    /** The retention policy of the gc-workers: keep the newest {@value #RETENTION_KEEP_LAST} build-* tags. */
    public static final String RETENTION_POLICY = "ci-builds";
    public static final String RETENTION_REPOSITORIES = "ci/retained/**";
    public static final int RETENTION_KEEP_LAST = 2;
    public static final String RETENTION_INCLUDE = "build-.*";
    /**
     * token-service's access policy: the built-in rules, plus team-a (alice, carol, dave) may pull what CI
     * (group /registry/ci: the ci-builder service account) pushes under ci/.
     */
    public static final String POLICY = """
            admin-role: registry-admin
            user-namespaces: true
            group-prefix: /registry/
            delete-subgroup: delete
            public: [public, library]
            rules:
              - repositories: ["ci/**"]
                groups: [/registry/team-a]
                actions: [pull]
            """;

    /** Who logs in: a user name and a password (a service account: client id and secret). */
    public record Credentials(String user, String password) {
        public String basic() {
            return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The CI service account (Keycloak client credentials, group /registry/ci: pushes ci/...). */
    public static final Credentials CI = new Credentials("ci-builder", "ci-builder-dev-secret");
    /** A developer (Keycloak user in /registry/team-a: pulls ci/... through {@link #POLICY}). */
    public static final Credentials DEVELOPER = new Credentials("alice", "alice-password");
    /** An administrator (realm role registry-admin: everything, the catalog, gc-worker's API). */
    public static final Credentials ADMIN = new Credentials("ada", "ada-password");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY = Duration.ofSeconds(120);
    /** Tokens live 5 minutes; one is used again for at most this long. */
    private static final Duration TOKEN_REUSE = Duration.ofSeconds(90);

    private static E2eStack shared;
    private static AssertionError failure;

    private final EmbeddedDatabase database;
    private final S3ProxyServer s3;
    private final InfinispanServer infinispan;
    private final KeycloakServer keycloak;
    private final TestCluster cluster;
    private final StackProcess tokenService;
    private final StackProcess registryA;
    private final StackProcess registryB;
    private final StackProcess catalog;
    private final StackProcess gcA;
    private final StackProcess gcB;
    private final Map<String, CachedToken> tokens = new ConcurrentHashMap<>();

    private record CachedToken(String token, long until) {
    }

    /** The stack of this JVM, started on first use (about a minute); a failed start fails every later caller at once. */
    public static synchronized E2eStack get() {
        if (failure != null) {
            throw new AssertionError("the end-to-end stack failed to start earlier in this run: " + failure.getMessage(),
                    failure);
        }
        if (shared == null) {
            try {
                shared = start(ItEnvironment.get());
            } catch (AssertionError e) {
                failure = e;
                throw e;
            } catch (RuntimeException e) {
                failure = new AssertionError("the end-to-end stack did not start: " + e, e);
                throw failure;
            }
        }
        return shared;
    }

    private static E2eStack start(ItEnvironment environment) {
        long started = System.nanoTime();
        RegistryProcess.runnerJar();
        TokenServiceProcess.runnerJar();
        CatalogServiceProcess.runnerJar();
        GcWorkerProcess.runnerJar();
        // the real components, side by side (Keycloak is the run's: the auth tests share it)
        CompletableFuture<EmbeddedDatabase> database = async(() -> environment.track(
                EmbeddedDatabase.startRestartable("e2e-postgres")));
        CompletableFuture<S3ProxyServer> s3 = async(() -> environment.track(
                S3ProxyServer.start(ItPaths.newWorkDir("e2e-s3"))));
        CompletableFuture<InfinispanServer> infinispan = async(() -> environment.track(
                InfinispanServer.start(ItPaths.newWorkDir("e2e-infinispan"))));
        CompletableFuture<KeycloakServer> keycloak = async(environment::keycloak);
        E2eStack stack = new E2eStack(join(database), join(s3), join(infinispan), join(keycloak), TestCluster.fresh(12));
        environment.track(stack);
        System.out.printf("[berth-it] e2e: PostgreSQL, S3Proxy, Infinispan and Keycloak up in %d ms%n",
                (System.nanoTime() - started) / 1_000_000);
        stack.database.createDatabase(DATABASE);
        // registry-api A migrates the registry schema that gc-worker and catalog-service read: it goes first
        CompletableFuture<StackProcess> tokens = async(stack.tokenService::start);
        stack.registryA.start();
        join(tokens);
        List<CompletableFuture<StackProcess>> rest = new ArrayList<>();
        for (StackProcess process : List.of(stack.registryB, stack.catalog, stack.gcA, stack.gcB)) {
            rest.add(async(process::start));
        }
        rest.forEach(E2eStack::join);
        System.out.printf("[berth-it] e2e stack ready in %d ms: %s%n", (System.nanoTime() - started) / 1_000_000,
                stack.summary());
        return stack;
    }

    private E2eStack(EmbeddedDatabase database, S3ProxyServer s3, InfinispanServer infinispan, KeycloakServer keycloak,
            TestCluster cluster) {
        this.database = database;
        this.s3 = s3;
        this.infinispan = infinispan;
        this.keycloak = keycloak;
        this.cluster = cluster;
        Path policy = ItPaths.newWorkDir("e2e-token-policy").resolve("policy.yaml");
        try {
            Files.writeString(policy, POLICY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int tokenPort = FreePorts.loopbackPort();
        String realm = "http://127.0.0.1:" + tokenPort + "/token";
        String jwks = "http://127.0.0.1:" + tokenPort + "/.well-known/jwks.json";
        this.tokenService = new StackProcess("token-service", tokenPort, port -> TokenServiceProcess.start("e2e", port,
                database, DATABASE, tokenServiceProperties(policy)).process());
        Map<String, String> registry = registryProperties(realm);
        this.registryA = new StackProcess("registry-api-a", FreePorts.loopbackPort(),
                port -> RegistryProcess.start("e2e-a", port, database, DATABASE, null, registry).process());
        this.registryB = new StackProcess("registry-api-b", FreePorts.loopbackPort(),
                port -> RegistryProcess.start("e2e-b", port, database, DATABASE, null, registry).process());
        Map<String, String> catalogProperties = new LinkedHashMap<>(cluster.properties());
        catalogProperties.put("catalog.auth.enabled", "true");
        catalogProperties.put("catalog.auth.realm", realm);
        catalogProperties.put("catalog.auth.service", SERVICE);
        catalogProperties.put("catalog.auth.jwks-url", jwks);
        this.catalog = new StackProcess("catalog-service", FreePorts.loopbackPort(),
                port -> CatalogServiceProcess.start("e2e", port, database, DATABASE, catalogProperties).process());
        this.gcA = new StackProcess("gc-worker-a", FreePorts.loopbackPort(),
                port -> GcWorkerProcess.start("e2e-a", port, database, DATABASE, null, gcProperties(realm, jwks)).process());
        this.gcB = new StackProcess("gc-worker-b", FreePorts.loopbackPort(),
                port -> GcWorkerProcess.start("e2e-b", port, database, DATABASE, null, gcProperties(realm, jwks)).process());
    }

    private Map<String, String> tokenServiceProperties(Path policy) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("token.services", SERVICE);
        properties.put("token.keycloak.url", keycloak.url());
        properties.put("token.keycloak.client-secret", KeycloakServer.TOKEN_SERVICE_SECRET);
        properties.put("token.federation.keycloak-ci.issuer", keycloak.issuer());
        properties.put("token.federation.keycloak-ci.jwks-url", keycloak.jwksUrl());
        properties.put("token.federation.keycloak-ci.audience", SERVICE);
        properties.put("token.federation.keycloak-ci.username-claim", "azp");
        properties.put("token.rate-limit.max-failures-per-client", "1000");
        properties.put("token.policy.file", policy.toString());
        return properties;
    }

    private Map<String, String> storageProperties() {
        return new LinkedHashMap<>(s3.registryStorageConfig(BUCKET));
    }

    private Map<String, String> registryProperties(String realm) {
        Map<String, String> properties = storageProperties();
        properties.putAll(cluster.properties());
        properties.put("registry.cache.type", "infinispan");
        properties.put("registry.cache.infinispan.hosts", infinispan.hosts());
        properties.put("registry.cache.infinispan.username", InfinispanServer.USERNAME);
        properties.put("registry.cache.infinispan.password", InfinispanServer.PASSWORD);
        properties.put("registry.cache.infinispan.cache-configuration", InfinispanServer.CACHE_CONFIGURATION);
        properties.put("registry.cache.infinispan.retry-interval", "1s");
        properties.put("registry.cache.infinispan.operation-timeout", "3s");
        properties.put("registry.auth.enabled", "true");
        properties.put("registry.auth.realm", realm);
        properties.put("registry.auth.service", SERVICE);
        // far below gc.grace (docs/garbage-collection.md): a blob a client checked stays safe until its manifest
        properties.put("registry.gc.touch-interval", "PT0.5S");
        return properties;
    }

    private Map<String, String> gcProperties(String realm, String jwks) {
        Map<String, String> properties = storageProperties();
        properties.putAll(cluster.properties());
        properties.put("gc.grace", GC_GRACE.toString());
        properties.put("gc.worker-lease", GC_WORKER_LEASE.toString());
        properties.put("gc.poll-interval", "PT0.5S");
        properties.put("gc.schedule.enabled", "false");
        // small pages: an orphan scan lasts long enough for ProcessFaultsIT to kill the worker doing it
        properties.put("gc.orphans.page-size", "20");
        properties.put("gc.auth.enabled", "true");
        properties.put("gc.auth.realm", realm);
        properties.put("gc.auth.service", SERVICE);
        properties.put("gc.auth.jwks-url", jwks);
        String policy = "gc.retention.\"" + RETENTION_POLICY + "\".";
        properties.put(policy + "repositories", RETENTION_REPOSITORIES);
        properties.put(policy + "keep-last", Integer.toString(RETENTION_KEEP_LAST));
        properties.put(policy + "include", RETENTION_INCLUDE);
        return properties;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the parts

    /** PostgreSQL ({@link EmbeddedDatabase#stop()} / {@link EmbeddedDatabase#restart()} keep data and port). */
    public EmbeddedDatabase database() {
        return database;
    }

    /** The S3 server ({@link S3ProxyServer#stop()} / {@link S3ProxyServer#restart()} keep buckets and port). */
    public S3ProxyServer s3() {
        return s3;
    }

    /** The Infinispan server of the manifest cache ({@link InfinispanServer#stop()} / {@link InfinispanServer#restart()}). */
    public InfinispanServer infinispan() {
        return infinispan;
    }

    public KeycloakServer keycloak() {
        return keycloak;
    }

    public TestCluster cluster() {
        return cluster;
    }

    public StackProcess tokenService() {
        return tokenService;
    }

    public StackProcess registryA() {
        return registryA;
    }

    public StackProcess registryB() {
        return registryB;
    }

    /** Both registry-api replicas. */
    public List<StackProcess> registries() {
        return List.of(registryA, registryB);
    }

    public StackProcess catalog() {
        return catalog;
    }

    public StackProcess gcWorkerA() {
        return gcA;
    }

    public StackProcess gcWorkerB() {
        return gcB;
    }

    public List<StackProcess> gcWorkers() {
        return List.of(gcA, gcB);
    }

    /** Every service process. */
    public List<StackProcess> services() {
        return List.of(tokenService, registryA, registryB, catalog, gcA, gcB);
    }

    /** {@code gc.worker-name} of a gc-worker of this stack. */
    public static String gcWorkerName(StackProcess worker) {
        return "it-" + (worker.name().endsWith("-a") ? "e2e-a" : "e2e-b");
    }

    /** The token endpoint (the realm of the services' challenges). */
    public String realm() {
        return tokenService.baseUrl() + "/token";
    }

    /** An S3 client of the bucket's server (the caller closes it). */
    public S3AsyncClient s3Client() {
        return S3ProxyClient.connect(s3.endpoint());
    }

    /** A JDBC connection to the stack's database (the caller closes it). */
    public Connection connection() throws SQLException {
        return database.dataSource(DATABASE).getConnection();
    }

    /** The first column of the first row of {@code sql}, or null. */
    public String queryString(String sql) {
        try (Connection connection = connection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }

    public long queryLong(String sql) {
        String value = queryString(sql);
        return value == null ? 0 : Long.parseLong(value);
    }

    // ---------------------------------------------------------------------------------------------------------
    // logging in, clients

    /**
     * A bearer token of token-service for {@code who} and {@code scopes} (for example
     * {@code repository:ci/app:pull,push}, {@code registry:catalog:*}, {@code registry:gc:*}), as docker gets one with
     * Basic credentials; reused for a while.
     */
    public String token(Credentials who, String... scopes) {
        String key = who.user() + " " + String.join(" ", scopes);
        CachedToken cached = tokens.get(key);
        if (cached != null && cached.until() > System.nanoTime()) {
            return cached.token();
        }
        StringBuilder query = new StringBuilder("/token?service=").append(SERVICE);
        for (String scope : scopes) {
            query.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        HttpRequest request = HttpRequest.newBuilder(tokenService.uri(query.toString())).timeout(Duration.ofSeconds(60))
                .header("Authorization", who.basic()).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() != 200) {
            throw new AssertionError("token for " + who.user() + " " + List.of(scopes) + Http.describe(request, response, null));
        }
        String token = json(response.body()).path("token").asText();
        tokens.put(key, new CachedToken(token, System.nanoTime() + TOKEN_REUSE.toNanos()));
        return token;
    }

    /** A registry client of {@code who} over both replicas (failing over when one does not answer). */
    public RegistryClient client(Credentials who) {
        return new RegistryClient(this, who, registries());
    }

    /** A registry client of {@code who} against one replica only. */
    public RegistryClient client(Credentials who, StackProcess replica) {
        return new RegistryClient(this, who, List.of(replica));
    }

    /** gc-worker's run API on {@code worker}, as the administrator (a token with {@code registry:gc:*}). */
    public GcRuns gcRuns(StackProcess worker) {
        return new GcRuns(worker.toString(), worker::uri, () -> token(ADMIN, "registry:gc:*"), worker::isAlive,
                worker::describe);
    }

    /** GET of a service's JSON API with {@code who}'s token for {@code scope}; fails unless 200. */
    public JsonNode getJson(StackProcess service, String pathAndQuery, Credentials who, String scope) {
        HttpRequest request = HttpRequest.newBuilder(service.uri(pathAndQuery)).timeout(Duration.ofMinutes(1))
                .header("Accept", "application/json").header("Authorization", "Bearer " + token(who, scope)).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + pathAndQuery + " on " + service + Http.describe(request, response, null));
        }
        return json(response.body());
    }

    static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // health

    /**
     * Starts whatever a test left stopped (infrastructure first) and waits until every service is ready: what a
     * fault test calls at its end, so that the next test finds the whole stack healthy.
     */
    public void awaitHealthy() {
        if (!database.isRunning()) {
            database.restart();
        }
        if (!s3.isAlive()) {
            s3.restart();
        }
        if (!infinispan.isRunning()) {
            infinispan.restart();
        }
        for (StackProcess process : services()) {
            if (!process.isAlive()) {
                process.start();
            }
        }
        for (StackProcess process : services()) {
            process.awaitReady(READY);
        }
    }

    /** Asserts (without repairing) that every part runs and every service is ready. */
    public void assertHealthy() {
        List<String> problems = new ArrayList<>();
        if (!database.isRunning()) {
            problems.add("PostgreSQL is stopped");
        }
        if (!s3.isAlive()) {
            problems.add("S3Proxy is stopped");
        }
        if (!infinispan.isRunning()) {
            problems.add("Infinispan is stopped");
        }
        for (StackProcess process : services()) {
            if (!process.isReady()) {
                problems.add(process + " is not ready");
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("the e2e stack is not healthy: " + problems);
        }
    }

    public String summary() {
        StringBuilder text = new StringBuilder();
        text.append("PostgreSQL 127.0.0.1:").append(database.port()).append(", S3 ").append(s3.endpoint())
                .append(", Infinispan ").append(infinispan.hosts()).append(", Keycloak ").append(keycloak.url())
                .append(", cluster ").append(cluster.name());
        for (StackProcess process : services()) {
            text.append(", ").append(process);
        }
        return text.toString();
    }

    public String describe() {
        StringBuilder text = new StringBuilder(summary());
        for (StackProcess process : services()) {
            text.append('\n').append(process.describe());
        }
        return text.toString();
    }

    /** Stops the services (the infrastructure is the environment's and stops after them). */
    @Override
    public void close() {
        for (StackProcess process : List.of(gcB, gcA, catalog, registryB, registryA, tokenService)) {
            try {
                process.close();
            } catch (RuntimeException e) {
                System.out.println("[berth-it] stopping " + process + " failed: " + e);
            }
        }
    }

    /** Sleeps (tests poll with deadlines; this is the pause between two looks). */
    public static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static <T> CompletableFuture<T> async(Supplier<T> task) {
        // a thread each: the starts mostly wait (for processes to become ready)
        return CompletableFuture.supplyAsync(task, run -> new Thread(run, "e2e-start").start());
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof AssertionError assertion) {
                throw assertion;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }
}
