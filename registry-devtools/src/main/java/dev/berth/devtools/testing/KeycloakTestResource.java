package dev.berth.devtools.testing;

import java.util.Map;

import dev.berth.devtools.keycloak.KeycloakAdmin;
import dev.berth.devtools.keycloak.KeycloakServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real Keycloak with the Berth realm for {@code @QuarkusTest}s:
 * {@code @QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)}.
 *
 * <p>Like {@link PostgresTestResource}, one Keycloak is started per JVM (the first time a test class or
 * {@link #server()} needs it) and shared by every later test class, including those Quarkus loads in another
 * class loader: its URL is kept in the system property {@value #URL_PROPERTY}. A JVM shutdown hook stops it.
 * The configuration it hands to Quarkus is {@value #URL_PROPERTY} (the base URL) and
 * {@code berth.test.keycloak.issuer}; the application's test profile maps them onto its own settings.
 */
public class KeycloakTestResource implements QuarkusTestResourceLifecycleManager {

    /** System property that holds {@code http://127.0.0.1:PORT} once Keycloak runs in this JVM. */
    public static final String URL_PROPERTY = "berth.test.keycloak.url";
    private static final String PID_PROPERTY = "berth.test.keycloak.pid";
    private static final String ADMIN_PASSWORD_PROPERTY = "berth.test.keycloak.admin-password";

    /* One lock for every class loader's copy of this class (string literals are interned JVM-wide). */
    private static final String LOCK = "dev.berth.devtools.testing.KeycloakTestResource#start";

    @Override
    public Map<String, String> start() {
        String url = url();
        return Map.of(URL_PROPERTY, url, "berth.test.keycloak.issuer", url + "/realms/" + KeycloakServer.REALM);
    }

    @Override
    public void stop() {
        // shared with the next test class; the JVM shutdown hook stops it
    }

    /** {@code http://127.0.0.1:PORT} of the shared Keycloak, starting it if this JVM has none yet. */
    public static String url() {
        synchronized (LOCK) {
            String known = System.getProperty(URL_PROPERTY);
            if (known != null) {
                return known;
            }
            KeycloakServer server = KeycloakServer.start(KeycloakServer.Options.defaults());
            long pid = server.pid();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.of(pid).ifPresent(p -> {
                java.util.List<ProcessHandle> children = p.descendants().toList();
                p.destroy();
                children.forEach(ProcessHandle::destroy);
                try {
                    p.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
                children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            }), "berth-test-keycloak-stop"));
            System.setProperty(PID_PROPERTY, Long.toString(pid));
            System.setProperty(ADMIN_PASSWORD_PROPERTY, KeycloakServer.ADMIN_PASSWORD_DEFAULT);
            System.setProperty(URL_PROPERTY, server.url());
            return server.url();
        }
    }

    /** Admin helpers against the shared Keycloak. */
    public static KeycloakAdmin admin() {
        return new KeycloakAdmin(url(), KeycloakServer.ADMIN_PASSWORD_DEFAULT);
    }

    /** The issuer of the Berth realm of the shared Keycloak. */
    public static String issuer() {
        return url() + "/realms/" + KeycloakServer.REALM;
    }
}
