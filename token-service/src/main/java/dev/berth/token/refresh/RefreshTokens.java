package dev.berth.token.refresh;

import dev.berth.token.config.TokenConfig;
import dev.berth.token.identity.AuthenticationFailed;
import dev.berth.token.identity.CredentialCache;
import dev.berth.token.identity.Identity;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Refresh tokens issued by token-service (the identity token that {@code docker login} stores): 256 random bits,
 * of which only the SHA-256 is stored. They are long-lived ({@code token.refresh.lifetime}), revocable one by one
 * or per user, and each use checks the account again (see {@code Authenticator#current}).
 */
@ApplicationScoped
public class RefreshTokens {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Marks Berth refresh tokens, so that they are never mistaken for passwords or JWTs. */
    static final String PREFIX = "brt_";

    private final AgroalDataSource dataSource;
    private final TokenConfig config;
    private final CredentialCache credentialCache;

    public RefreshTokens(AgroalDataSource dataSource, TokenConfig config, CredentialCache credentialCache) {
        this.dataSource = dataSource;
        this.config = config;
        this.credentialCache = credentialCache;
    }

    /** A stored refresh token: whose and what kind of account. */
    public record Holder(long id, String username, Identity.Kind kind) {
    }

    public String issue(Identity identity, String clientId) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = Instant.now();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO refresh_token (token_hash, username, kind, client_id, "
                        + "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            s.setString(1, hash(token));
            s.setString(2, identity.username());
            s.setString(3, identity.kind().name());
            s.setString(4, clientId);
            s.setTimestamp(5, Timestamp.from(now));
            s.setTimestamp(6, Timestamp.from(now.plus(config.refresh().lifetime())));
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store a refresh token: " + e.getMessage(), e);
        }
        return token;
    }

    /**
     * The holder of a valid (known, unexpired, unrevoked) refresh token, and records its use; otherwise
     * {@link AuthenticationFailed} telling the client to log in again, with the reason (unknown, expired, revoked)
     * for the log.
     */
    public Holder use(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 100) {
            throw AuthenticationFailed.identityToken(AuthenticationFailed.Reason.UNKNOWN_IDENTITY_TOKEN, null,
                    "not a Berth refresh token");
        }
        String hash = hash(token);
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("UPDATE refresh_token SET last_used_at = now() "
                    + "WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > now() RETURNING id, username, kind")) {
                s.setString(1, hash);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return new Holder(rs.getLong(1), rs.getString(2), Identity.Kind.valueOf(rs.getString(3)));
                    }
                }
            }
            // refused: only now find out why, for the log (the client is told the same in every case)
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT username, revoked_at IS NOT NULL FROM refresh_token WHERE token_hash = ?")) {
                s.setString(1, hash);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        throw AuthenticationFailed.identityToken(AuthenticationFailed.Reason.UNKNOWN_IDENTITY_TOKEN, null,
                                "unknown refresh token");
                    }
                    String username = rs.getString(1);
                    throw rs.getBoolean(2)
                            ? AuthenticationFailed.identityToken(AuthenticationFailed.Reason.REVOKED, username,
                                    "revoked refresh token")
                            : AuthenticationFailed.identityToken(AuthenticationFailed.Reason.EXPIRED_IDENTITY_TOKEN, username,
                                    "expired refresh token");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read refresh tokens: " + e.getMessage(), e);
        }
    }

    /**
     * Revokes one refresh token; true when it existed and was not revoked yet. Its user's remembered password checks
     * are dropped too, so that revoking ends every shortcut to that account.
     */
    public boolean revoke(String token) {
        if (token == null || !token.startsWith(PREFIX)) {
            return false;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("UPDATE refresh_token SET revoked_at = now() "
                        + "WHERE token_hash = ? AND revoked_at IS NULL RETURNING username")) {
            s.setString(1, hash(token));
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                credentialCache.invalidate(rs.getString(1));
                return true;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Revokes every refresh token of a user name; returns how many. */
    public int revokeAll(String username) {
        int revoked = update("UPDATE refresh_token SET revoked_at = now() WHERE username = ? AND revoked_at IS NULL", username);
        credentialCache.invalidate(username);
        return revoked;
    }

    /**
     * Revokes every refresh token of one account (user name and kind), for example at the first refusal after the
     * account was disabled, so that re-enabling it does not bring them back.
     */
    public int revokeAll(String username, Identity.Kind kind) {
        int revoked;
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "UPDATE refresh_token SET revoked_at = now() WHERE username = ? AND kind = ? AND revoked_at IS NULL")) {
            s.setString(1, username);
            s.setString(2, kind.name());
            revoked = s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        credentialCache.invalidate(username);
        return revoked;
    }

    private int update(String sql, String value) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, value);
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
