package dev.berth.token.local;

import dev.berth.token.config.TokenConfig;
import dev.berth.token.identity.AuthenticationFailed;
import dev.berth.token.identity.CredentialCache;
import dev.berth.token.identity.Identity;
import dev.berth.token.identity.KeycloakClient;
import dev.berth.token.refresh.RefreshTokens;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.jboss.logging.Logger;

/**
 * The built-in user store of the embedded default (no Keycloak configured): user names with bcrypt password
 * hashes, roles and groups in table {@code token.local_user}. At start-up the {@code admin} account (role
 * {@code registry-admin}) is created, or its password set, from {@code token.local.admin-password}
 * ({@code REGISTRY_ADMIN_PASSWORD}); without one a password is generated once and logged.
 */
@ApplicationScoped
public class LocalUsers {
    private static final Logger LOG = Logger.getLogger(LocalUsers.class);
    public static final String ADMIN = "admin";
    private static final int COST = 10;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A hash to compare against when the user does not exist, so that both cases take the same time. */
    private static final String DUMMY_HASH = OpenBSDBCrypt.generate("2b", "x".toCharArray(), new byte[16], COST);

    private final AgroalDataSource dataSource;
    private final TokenConfig config;
    private final KeycloakClient keycloak;
    private final CredentialCache credentialCache;
    private final RefreshTokens refreshTokens;

    public LocalUsers(AgroalDataSource dataSource, TokenConfig config, KeycloakClient keycloak,
            CredentialCache credentialCache, RefreshTokens refreshTokens) {
        this.dataSource = dataSource;
        this.config = config;
        this.keycloak = keycloak;
        this.credentialCache = credentialCache;
        this.refreshTokens = refreshTokens;
    }

    void bootstrap(@Observes StartupEvent event) {
        if (keycloak.configured()) {
            return;
        }
        Optional<String> password = config.local().adminPassword().filter(p -> !p.isBlank());
        try (Connection c = dataSource.getConnection()) {
            boolean exists;
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM local_user WHERE username = ?")) {
                s.setString(1, ADMIN);
                try (ResultSet rs = s.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (password.isPresent()) {
                upsert(ADMIN, password.get(), Set.of("registry-admin"), Set.of());
                LOG.infof("built-in user store: account '%s' %s from token.local.admin-password (REGISTRY_ADMIN_PASSWORD)",
                        ADMIN, exists ? "password set" : "created");
            } else if (!exists) {
                byte[] bytes = new byte[18];
                RANDOM.nextBytes(bytes);
                String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                upsert(ADMIN, generated, Set.of("registry-admin"), Set.of());
                LOG.warnf("built-in user store: created account '%s' with the generated password %s "
                        + "(set REGISTRY_ADMIN_PASSWORD to choose it)", ADMIN, generated);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare the built-in user store: " + e.getMessage(), e);
        }
    }

    /** Creates the user or replaces its password, roles and groups. */
    public void upsert(String username, String password, Set<String> roles, Set<String> groups) {
        String hash = OpenBSDBCrypt.generate("2b", password.toCharArray(), salt(), COST);
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO local_user (username, password_hash, roles, groups) "
                        + "VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, "
                        + "roles = EXCLUDED.roles, groups = EXCLUDED.groups, enabled = true")) {
            s.setString(1, username);
            s.setString(2, hash);
            s.setString(3, String.join(",", roles));
            s.setString(4, String.join(",", groups));
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        // after the commit: a remembered check of the old password must not log in any more
        credentialCache.invalidate(username);
    }

    /** Enables or disables an account; disabling also ends its identity tokens (refresh tokens) for good. */
    public void setEnabled(String username, boolean enabled) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("UPDATE local_user SET enabled = ? WHERE username = ?")) {
            s.setBoolean(1, enabled);
            s.setString(2, username);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        credentialCache.invalidate(username);
        if (!enabled) {
            refreshTokens.revokeAll(username, Identity.Kind.LOCAL_USER);
        }
    }

    /**
     * The identity when the password is right and the account enabled; else {@link AuthenticationFailed} (a missing
     * user costs the same bcrypt time as a wrong password).
     */
    public Identity authenticate(String username, String password) {
        Optional<Row> row = find(username);
        boolean ok = OpenBSDBCrypt.checkPassword(row.map(Row::hash).orElse(DUMMY_HASH), password.toCharArray());
        if (!ok || row.isEmpty()) {
            throw new AuthenticationFailed("built-in user store refused " + username);
        }
        if (!row.get().enabled()) {
            throw new AuthenticationFailed(AuthenticationFailed.Reason.DISABLED, "built-in user " + username + " is disabled");
        }
        return row.get().identity();
    }

    /** The current identity of an existing, enabled user (refresh tokens). */
    public Optional<Identity> current(String username) {
        return find(username).filter(Row::enabled).map(Row::identity);
    }

    private record Row(String username, String hash, Set<String> roles, Set<String> groups, boolean enabled) {
        Identity identity() {
            return new Identity(username, Identity.Kind.LOCAL_USER, roles, groups);
        }
    }

    private Optional<Row> find(String username) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT username, password_hash, roles, groups, enabled FROM local_user WHERE username = ?")) {
            s.setString(1, username);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Row(rs.getString(1), rs.getString(2), split(rs.getString(3)), split(rs.getString(4)),
                        rs.getBoolean(5)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> split(String text) {
        Set<String> values = new LinkedHashSet<>(Arrays.asList(text.split(",")));
        values.remove("");
        return values;
    }

    private static byte[] salt() {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return salt;
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
