package dev.berth.it.auth;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

import dev.berth.devtools.keycloak.KeycloakAdmin;
import dev.berth.devtools.keycloak.KeycloakServer;
import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.TokenServiceProcess;

/**
 * The authenticated stack the auth tests share (started once per test JVM, stopped with the environment):
 * a real Keycloak with the Berth realm, token-service against it (Keycloak users, service accounts, and the
 * realm as a trusted issuer for federated CI tokens with audience berth-registry), and a registry-api with
 * {@code registry.auth.enabled=true} whose realm is that token-service.
 */
public final class AuthStack {

    public static final String SERVICE = "berth-registry";
    private static AuthStack shared;
    private static AssertionError failure;

    private final KeycloakServer keycloak;
    private final TokenServiceProcess tokenService;
    private final RegistryProcess registry;
    private final EmbeddedDatabase database;

    private AuthStack(KeycloakServer keycloak, TokenServiceProcess tokenService, RegistryProcess registry,
            EmbeddedDatabase database) {
        this.keycloak = keycloak;
        this.tokenService = tokenService;
        this.registry = registry;
        this.database = database;
    }

    public static synchronized AuthStack get(ItEnvironment environment) {
        if (failure != null) {
            throw new AssertionError("the auth stack failed to start earlier in this run: " + failure.getMessage(), failure);
        }
        if (shared != null) {
            return shared;
        }
        try {
            RegistryProcess.runnerJar();
            TokenServiceProcess.runnerJar();
            EmbeddedDatabase database = environment.database();
            database.createDatabase("auth_tokens");
            database.createDatabase("auth_registry");
            KeycloakServer keycloak = environment.keycloak();
            TokenServiceProcess tokens = environment.track(TokenServiceProcess.start("auth", database, "auth_tokens", Map.of(
                    "token.services", SERVICE,
                    "token.keycloak.url", keycloak.url(),
                    "token.keycloak.client-secret", KeycloakServer.TOKEN_SERVICE_SECRET,
                    "token.federation.keycloak-ci.issuer", keycloak.issuer(),
                    "token.federation.keycloak-ci.jwks-url", keycloak.jwksUrl(),
                    "token.federation.keycloak-ci.audience", SERVICE,
                    "token.federation.keycloak-ci.username-claim", "azp",
                    "token.rate-limit.max-failures-per-client", "1000")));
            Path storage = ItPaths.newWorkDir("auth-storage");
            RegistryProcess registry = environment.track(RegistryProcess.start("auth", database, "auth_registry", storage, Map.of(
                    "registry.auth.enabled", "true",
                    "registry.auth.realm", tokens.realm(),
                    "registry.auth.service", SERVICE,
                    "quarkus.log.category.\"dev.berth.registry.auth\".level", "DEBUG")));
            shared = new AuthStack(keycloak, tokens, registry, database);
            return shared;
        } catch (AssertionError e) {
            failure = e;
            throw e;
        }
    }

    public KeycloakServer keycloak() {
        return keycloak;
    }

    public KeycloakAdmin keycloakAdmin() {
        return keycloak.admin();
    }

    public TokenServiceProcess tokenService() {
        return tokenService;
    }

    public RegistryProcess registry() {
        return registry;
    }

    /** host:port of the registry, as in image references. */
    public String host() {
        return registry.hostPort();
    }

    public String ref(String repository, String tag) {
        return registry.ref(repository, tag);
    }

    /** How many refresh tokens of {@code username} were used at least once (the refresh flow ran). */
    public int usedRefreshTokens(String username) {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl("auth_tokens"), database.user(), database.password());
                PreparedStatement s = c.prepareStatement(
                        "SELECT count(*) FROM token.refresh_token WHERE username = ? AND last_used_at IS NOT NULL")) {
            s.setString(1, username);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new AssertionError("cannot read token.refresh_token: " + e, e);
        }
    }

    public String describe() {
        return registry.describe() + "\n" + tokenService.process().describe();
    }
}
