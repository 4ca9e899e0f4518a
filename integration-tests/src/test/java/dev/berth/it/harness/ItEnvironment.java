package dev.berth.it.harness;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

import dev.berth.devtools.keycloak.KeycloakServer;

/**
 * Everything one test JVM starts and shares: the embedded PostgreSQL, the registry under test, and any
 * other process a test hands over with {@link #track}. Created once; closed by JUnit at the end of the run
 * (through {@link RegistryExtension}) and, as a safety net, by a JVM shutdown hook. Closing stops the
 * tracked resources in reverse order of start.
 *
 * <p>The registry under test is chosen with {@code -Dberth.it.registry=berth|peer} (default berth).
 */
public final class ItEnvironment implements AutoCloseable {

    public static final String REGISTRY_PROPERTY = "berth.it.registry";

    private static ItEnvironment instance;

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private EmbeddedDatabase database;
    private KeycloakServer keycloak;
    private AssertionError keycloakFailure;
    private RegistryUnderTest sharedRegistry;
    private AssertionError sharedRegistryFailure;
    private boolean closed;

    private ItEnvironment() {
    }

    public static synchronized ItEnvironment get() {
        if (instance == null || instance.closed) {
            instance = new ItEnvironment();
            ItEnvironment created = instance;
            Runtime.getRuntime().addShutdownHook(new Thread(created::close, "berth-it-shutdown"));
        }
        return instance;
    }

    /** "berth" (default) or "peer". */
    public static String selectedRegistry() {
        String value = System.getProperty(REGISTRY_PROPERTY, "").trim();
        if (value.isEmpty()) {
            return "berth";
        }
        if (!value.equals("berth") && !value.equals("peer")) {
            throw new AssertionError("-D" + REGISTRY_PROPERTY + " must be berth or peer, not '" + value + "'");
        }
        return value;
    }

    /** The embedded PostgreSQL, started on first use. */
    public synchronized EmbeddedDatabase database() {
        checkOpen();
        if (database == null) {
            database = track(EmbeddedDatabase.start());
        }
        return database;
    }

    /**
     * The real Keycloak with the Berth realm (deploy/keycloak), started once per run on first use and shared by every
     * test that needs one (the auth tests, the end-to-end stack): it takes 10-40 s and 500 MB. A start-up failure is
     * remembered, as for the shared registry.
     */
    public synchronized KeycloakServer keycloak() {
        checkOpen();
        if (keycloakFailure != null) {
            throw new AssertionError("Keycloak failed to start earlier in this run: " + keycloakFailure.getMessage(),
                    keycloakFailure);
        }
        if (keycloak == null) {
            try {
                keycloak = track(KeycloakServer.start(KeycloakServer.Options.defaults()
                        .withLogFile(ItPaths.newLogFile("keycloak"))));
            } catch (RuntimeException e) {
                keycloakFailure = new AssertionError("Keycloak did not start: " + e.getMessage(), e);
                throw keycloakFailure;
            }
        }
        return keycloak;
    }

    /**
     * The registry the client tests use, started on first use and shared by all of them. A start-up failure
     * is remembered, so the following tests fail at once with the same cause instead of waiting again.
     */
    public synchronized RegistryUnderTest sharedRegistry() {
        checkOpen();
        if (sharedRegistryFailure != null) {
            throw new AssertionError("the registry under test failed to start earlier in this run: "
                    + sharedRegistryFailure.getMessage(), sharedRegistryFailure);
        }
        if (sharedRegistry == null) {
            try {
                if (selectedRegistry().equals("peer")) {
                    sharedRegistry = track(PeerRegistry.start(ItPaths.newWorkDir("peer-registry")));
                } else {
                    RegistryProcess.runnerJar();
                    Path storage = ItPaths.newWorkDir("berth-storage");
                    sharedRegistry = track(RegistryProcess.start("shared", database(), "postgres", storage));
                }
            } catch (AssertionError e) {
                sharedRegistryFailure = e;
                throw e;
            }
        }
        return sharedRegistry;
    }

    /** Hands a resource over to be closed at the end of the run (closing twice must be harmless). */
    public synchronized <T extends AutoCloseable> T track(T resource) {
        if (closed) {
            closeQuietly(resource);
            throw new IllegalStateException("environment already closed");
        }
        resources.push(resource);
        return resource;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("environment already closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!resources.isEmpty()) {
            closeQuietly(resources.pop());
        }
        if (!ItPaths.keepWorkDirs()) {
            ItPaths.deleteTree(ItPaths.runWorkDir());
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            System.out.println("[berth-it] closing " + resource + " failed: " + e);
        }
    }
}
