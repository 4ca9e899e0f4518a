package dev.berth.it.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.FreePorts;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.ServiceLauncher;
import dev.berth.it.harness.Tools;

/**
 * The Berth images, built on this machine once per test JVM and held in a Berth: a registry-api process (its own
 * database and storage, run from a copy of {@code registry-api/target/quarkus-app}) into which
 * {@code deploy/images/build-base} pushes {@code berth/base-java17} and {@code deploy/images/build} pushes the four
 * service images. The nested Maven build runs in a copy of the source tree, so it never rewrites a jar that a
 * running process (this registry, or another test's service) uses.
 *
 * <p>Needs root, mmdebstrap, podman and skopeo ({@link Tools}: skipped with a printed reason on a developer
 * machine, failing under {@code CI=true}). Everything it starts is stopped and its private podman storage removed
 * when the test environment closes.
 */
public final class ServiceImages implements AutoCloseable {

    /** The base image and the service images, in build order. */
    public static final String BASE = "base-java17";
    public static final List<String> SERVICES = List.of("registry-api", "token-service", "catalog-service", "gc-worker");

    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
    private static ServiceImages shared;
    private static AssertionError failure;

    private final ManagedProcess registryProcess;
    private final String registry;
    private final String tag;
    private final String revision;
    private final Podman podman;
    private final Map<String, String> pushedDigests;
    private final Map<String, Long> buildMillis;

    private ServiceImages(ManagedProcess registryProcess, String registry, String tag, String revision, Podman podman,
            Map<String, String> pushedDigests, Map<String, Long> buildMillis) {
        this.registryProcess = registryProcess;
        this.registry = registry;
        this.tag = tag;
        this.revision = revision;
        this.podman = podman;
        this.pushedDigests = pushedDigests;
        this.buildMillis = buildMillis;
    }

    /** Skips (or on CI fails) the caller unless this machine can build and run the images. */
    public static void requireTools() {
        Tools.require("mmdebstrap", "podman", "skopeo");
        Tools.requireRoot("mmdebstrap --mode=root builds the base image's root file system");
        if (!Files.isExecutable(Path.of(Podman.RUNC))) {
            Tools.unavailable(Podman.RUNC + " is missing (Debian: runc); podman runs containers with it here");
        }
    }

    /** The images, built on first use (a few minutes) and shared by every test of this JVM. */
    public static synchronized ServiceImages get() {
        requireTools();
        if (failure != null) {
            throw new AssertionError("building the images failed earlier in this run: " + failure.getMessage(), failure);
        }
        if (shared == null) {
            try {
                shared = ItEnvironment.get().track(build());
            } catch (AssertionError e) {
                failure = e;
                throw e;
            }
        }
        return shared;
    }

    /** HOST:PORT of the Berth holding the images (plain HTTP, no authentication). */
    public String registry() {
        return registry;
    }

    /** The full reference of {@code name} ({@value #BASE} or a service): {@code HOST:PORT/berth/NAME:TAG}. */
    public String image(String name) {
        if (!name.equals(BASE) && !SERVICES.contains(name)) {
            throw new IllegalArgumentException("no image " + name + " (known: " + BASE + ", " + SERVICES + ")");
        }
        return registry + "/berth/" + name + ":" + tag;
    }

    /** The repository of {@code name} inside the registry: {@code berth/NAME}. */
    public String repository(String name) {
        image(name);
        return "berth/" + name;
    }

    /** The tag of every image: the Maven project version. */
    public String tag() {
        return tag;
    }

    /** The git commit the images were built from (their org.opencontainers.image.revision label). */
    public String revision() {
        return revision;
    }

    /** The manifest digest the build pushed for {@code name} (podman's digest file, Jib's jib-image.digest). */
    public String pushedDigest(String name) {
        image(name);
        return pushedDigests.get(name);
    }

    /** How long building and pushing took: "base" and "services", in milliseconds. */
    public Map<String, Long> buildMillis() {
        return Map.copyOf(buildMillis);
    }

    /** podman with private storage and deploy/podman/containers.conf, shared by the tests of this JVM. */
    public Podman podman() {
        return podman;
    }

    private static ServiceImages build() {
        Path repo = ItPaths.repoRoot();
        for (String service : SERVICES) {
            Path app = repo.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(app)) {
                throw new AssertionError(service + " is not packaged: " + app + " does not exist. Build it first "
                        + "(./mvnw -B -pl " + String.join(",", SERVICES) + " -am package -DskipTests)");
            }
        }
        Path work = ItPaths.newWorkDir("service-images");
        String tag = projectVersion(repo);
        String revision = gitRevision(repo);

        // a copy of the source tree with its target/ folders, so that the nested build finds up-to-date classes and
        // rewrites only the copy's quarkus-app folders
        long copyStarted = System.nanoTime();
        Path source = work.resolve("source");
        copySourceTree(repo, source);
        Path registryApp = work.resolve("registry-app");
        Command.of("cp", "-a", repo.resolve("registry-api/target/quarkus-app").toString(), registryApp.toString())
                .timeout(Duration.ofMinutes(2)).runOk();
        System.out.printf("[berth-it] copied the source tree and registry-api in %d ms%n", (System.nanoTime() - copyStarted) / 1_000_000);

        EmbeddedDatabase database = ItEnvironment.get().database();
        database.createDatabase("images_registry");
        int port = FreePorts.loopbackPort();
        ManagedProcess registryProcess = startRegistry(registryApp, port, database, work.resolve("storage"));
        String registry = "127.0.0.1:" + port;
        Podman podman = null;
        try {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("TMPDIR", mkdirs(work.resolve("tmp")).toString());
            env.put("BERTH_REVISION", revision);
            env.put("BERTH_APT_CACHE", aptCache().toString());
            env.put("BERTH_USERNAME", "");

            Map<String, String> digests = new LinkedHashMap<>();
            Map<String, Long> millis = new LinkedHashMap<>();
            Command.Result base = Command.of(source.resolve("deploy/images/build-base").toString(), "--registry", registry,
                    "--tag", tag).env(env).timeout(BUILD_TIMEOUT).runOk();
            millis.put("base", base.millis());
            digests.put(BASE, digestIn(base.lastLine(), base));
            System.out.println("[berth-it] " + String.join("\n[berth-it] ", base.lines().subList(Math.max(0, base.lines().size() - 4), base.lines().size())));

            List<String> build = new ArrayList<>(List.of(source.resolve("deploy/images/build").toString(), "--registry", registry,
                    "--tag", tag, "--", "-o", "-q",
                    "-Dquarkus.jib.base-image-layers-cache=" + work.resolve("jib-cache/base"),
                    "-Dquarkus.jib.application-layers-cache=" + work.resolve("jib-cache/app")));
            Command.Result services = Command.of(build).env(env).timeout(BUILD_TIMEOUT).runOk();
            millis.put("services", services.millis());
            for (String service : SERVICES) {
                Path digestFile = source.resolve(service).resolve("target/jib-image.digest");
                digests.put(service, readTrimmed(digestFile, services));
            }
            System.out.printf("[berth-it] images built: base in %d s, the four services in %d s; digests %s%n",
                    millis.get("base") / 1000, millis.get("services") / 1000, digests);
            if (!ItPaths.keepWorkDirs()) {
                ItPaths.deleteTree(source);
            }
            podman = Podman.create("podman");
            return new ServiceImages(registryProcess, registry, tag, revision, podman, Map.copyOf(digests), millis);
        } catch (RuntimeException | Error e) {
            registryProcess.close();
            if (podman != null) {
                podman.close();
            }
            throw e;
        }
    }

    /** registry-api on a free loopback port, filesystem storage, no authentication, not clustered. */
    private static ManagedProcess startRegistry(Path app, int port, EmbeddedDatabase database, Path storage) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.reactive.url=" + database.reactiveUrl("images_registry"),
                "-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl("images_registry"),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password(),
                "-Dregistry.storage.filesystem.root=" + storage,
                "-Dquarkus.vertx.cluster.clustered=false",
                "-jar", app.resolve("quarkus-run.jar").toString());
        ManagedProcess process = ManagedProcess.start("registry-api-images", command, Map.of(), app, Duration.ofSeconds(20));
        // closes the process when it exits or is not ready in time
        ServiceLauncher.awaitReady("registry-api for the images", process,
                URI.create("http://127.0.0.1:" + port + "/q/health/ready"), Http::statusOrMinusOne);
        return process;
    }

    /**
     * Copies what a build of the services needs: every top-level entry but .git and the integration tests (of which
     * only the POM, since the reactor lists the module), and no local stack data.
     */
    private static void copySourceTree(Path repo, Path target) {
        try {
            Files.createDirectories(target.resolve("integration-tests"));
            Files.copy(repo.resolve("integration-tests/pom.xml"), target.resolve("integration-tests/pom.xml"));
            List<String> args = new ArrayList<>(List.of("cp", "-a"));
            try (var entries = Files.list(repo)) {
                entries.filter(p -> {
                    String name = p.getFileName().toString();
                    return !name.equals(".git") && !name.equals("integration-tests") && !name.equals(".berth-local");
                }).forEach(p -> args.add(p.toString()));
            }
            args.add(target + "/");
            Command.of(args).timeout(Duration.ofMinutes(3)).runOk();
            // the compiler plugin lists its inputs by absolute path: point them at the copy, so that it sees the
            // classes as up to date instead of compiling every module again
            try (var lists = Files.walk(target)) {
                for (Path list : (Iterable<Path>) lists.filter(p -> p.toString().contains("/target/maven-status/")
                        && p.getFileName().toString().endsWith(".lst"))::iterator) {
                    Files.writeString(list, Files.readString(list).replace(repo + "/", target + "/"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The .deb files of the base image, kept between runs (like ~/.m2), so a rebuild downloads nothing unchanged. */
    private static Path aptCache() {
        String configured = System.getenv("BERTH_APT_CACHE");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "berth", "apt-archives");
    }

    static String projectVersion(Path repo) {
        try {
            Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(repo.resolve("pom.xml")));
            if (!m.find()) {
                throw new AssertionError("no <version> in " + repo.resolve("pom.xml"));
            }
            return m.group(1).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String gitRevision(Path repo) {
        Command.Result result = Command.of("git", "-C", repo.toString(), "rev-parse", "HEAD").timeout(Duration.ofSeconds(30)).run();
        return result.exitCode() == 0 ? result.lastLine() : "unknown";
    }

    private static String digestIn(String line, Command.Result result) {
        Matcher m = Pattern.compile("@(sha256:[0-9a-f]{64})").matcher(line);
        if (!m.find()) {
            throw new AssertionError("no pushed digest in the last line of build-base:\n" + result.describe());
        }
        return m.group(1);
    }

    private static String readTrimmed(Path file, Command.Result result) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new AssertionError("the build wrote no " + file + ":\n" + result.describe(), e);
        }
    }

    private static Path mkdirs(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the containers and images of the private podman storage, then stops the registry. */
    @Override
    public void close() {
        ManagedProcess.stopAll(podman, registryProcess);
    }

    @Override
    public String toString() {
        return "Berth images in " + registry + " (tag " + tag + ")";
    }
}
