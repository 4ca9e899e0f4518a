package dev.berth.token.keys;

import dev.berth.token.config.TokenConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

/**
 * The signing keys token-service manages: ES256 (P-256) or RS256 (2048 bit), kept in PostgreSQL so that every
 * replica signs with the same active key and publishes the same JWKS. The active key is the newest one not
 * retired; a key is rotated when it is older than {@code token.keys.rotation-period}, when
 * {@code token.keys.algorithm} changed, or on {@link #rotate()}, and a retired key stays in the JWKS for {@code token.keys.retired-keep} so that tokens it
 * signed stay verifiable until they expire. Rotation takes a PostgreSQL advisory lock, so two replicas
 * never rotate at once.
 */
@Startup
@ApplicationScoped
public class SigningKeys {
    private static final Logger LOG = Logger.getLogger(SigningKeys.class);
    private static final long ROTATION_LOCK = 0x6265727468L; // "berth"

    /** A key as loaded: its JWK (with the private part) and when it was retired, if it was. */
    public record Key(String kid, String algorithm, PublicJsonWebKey jwk, Instant createdAt, Instant retiredAt) {
    }

    private record Snapshot(Key active, List<Key> published, Instant loadedAt) {
    }

    private final AgroalDataSource dataSource;
    private final TokenConfig config;
    private final Clock clock;
    private volatile Snapshot snapshot;

    public SigningKeys(AgroalDataSource dataSource, TokenConfig config) {
        this.dataSource = dataSource;
        this.config = config;
        this.clock = Clock.systemUTC();
        String alg = config.keys().algorithm();
        if (!alg.equals(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256)
                && !alg.equals(AlgorithmIdentifiers.RSA_USING_SHA256)) {
            throw new IllegalArgumentException("token.keys.algorithm must be ES256 or RS256, not " + alg);
        }
        ensureActiveKey(false);
    }

    /** The key to sign with now (rotating first when it is due). */
    public Key active() {
        Snapshot current = current();
        if (current.active() == null || current.active().createdAt().plus(config.keys().rotationPeriod()).isBefore(clock.instant())
                || !current.active().algorithm().equals(config.keys().algorithm())) {
            ensureActiveKey(false);
            current = snapshot;
        }
        return current.active();
    }

    /** Every key whose public part is published: the active one and those retired recently. */
    public List<Key> published() {
        return current().published();
    }

    /** The JWKS document: {@code {"keys":[...public JWKs with kid, alg and use...]}}. */
    public Map<String, Object> jwks() {
        List<Map<String, Object>> keys = new ArrayList<>();
        for (Key key : published()) {
            Map<String, Object> jwk = new LinkedHashMap<>(key.jwk().toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
            jwk.put("kid", key.kid());
            jwk.put("alg", key.algorithm());
            jwk.put("use", "sig");
            keys.add(jwk);
        }
        return Map.of("keys", keys);
    }

    /** Retires the active key and makes a new one active now. */
    public Key rotate() {
        ensureActiveKey(true);
        return snapshot.active();
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        if (s == null || s.loadedAt().plus(config.keys().reloadInterval()).isBefore(clock.instant())) {
            s = reload();
        }
        return s;
    }

    private synchronized void ensureActiveKey(boolean force) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                lock.setLong(1, ROTATION_LOCK);
                lock.execute();
            }
            List<Key> keys = load(c);
            Key active = keys.stream().filter(k -> k.retiredAt() == null).findFirst().orElse(null);
            Instant now = clock.instant();
            // also when token.keys.algorithm changed: the next key uses the configured algorithm
            boolean due = active == null || force
                    || active.createdAt().plus(config.keys().rotationPeriod()).isBefore(now)
                    || !active.algorithm().equals(config.keys().algorithm());
            if (due) {
                Key fresh = generate(now);
                try (PreparedStatement retire = c.prepareStatement(
                        "UPDATE signing_key SET retired_at = ? WHERE retired_at IS NULL")) {
                    retire.setTimestamp(1, Timestamp.from(now));
                    retire.executeUpdate();
                }
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO signing_key (kid, algorithm, jwk, created_at) VALUES (?, ?, ?, ?)")) {
                    insert.setString(1, fresh.kid());
                    insert.setString(2, fresh.algorithm());
                    insert.setString(3, fresh.jwk().toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
                    insert.setTimestamp(4, Timestamp.from(now));
                    insert.executeUpdate();
                }
                // forget keys nobody can need any more
                try (PreparedStatement purge = c.prepareStatement("DELETE FROM signing_key WHERE retired_at < ?")) {
                    purge.setTimestamp(1, Timestamp.from(now.minus(config.keys().retiredKeep()).minus(config.keys().retiredKeep())));
                    purge.executeUpdate();
                }
                LOG.infof("new %s signing key %s is active%s", fresh.algorithm(), fresh.kid(),
                        active == null ? "" : " (retired " + active.kid() + ")");
            }
            c.commit();
        } catch (SQLException | JoseException e) {
            throw new IllegalStateException("cannot prepare the signing key: " + e.getMessage(), e);
        }
        reload();
    }

    private synchronized Snapshot reload() {
        try (Connection c = dataSource.getConnection()) {
            List<Key> keys = load(c);
            Instant now = clock.instant();
            Key active = keys.stream().filter(k -> k.retiredAt() == null).findFirst().orElse(null);
            List<Key> published = keys.stream()
                    .filter(k -> k.retiredAt() == null || k.retiredAt().plus(config.keys().retiredKeep()).isAfter(now))
                    .toList();
            snapshot = new Snapshot(active, published, now);
            return snapshot;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the signing keys: " + e.getMessage(), e);
        }
    }

    private static List<Key> load(Connection c) throws SQLException {
        List<Key> keys = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT kid, algorithm, jwk, created_at, retired_at FROM signing_key "
                        + "ORDER BY created_at DESC, kid")) {
            while (rs.next()) {
                Timestamp retired = rs.getTimestamp(5);
                try {
                    keys.add(new Key(rs.getString(1), rs.getString(2),
                            (PublicJsonWebKey) JsonWebKey.Factory.newJwk(rs.getString(3)),
                            rs.getTimestamp(4).toInstant(), retired == null ? null : retired.toInstant()));
                } catch (JoseException e) {
                    LOG.errorf("signing key %s cannot be read, ignored: %s", rs.getString(1), e.getMessage());
                }
            }
        }
        return keys;
    }

    private Key generate(Instant now) throws JoseException {
        String alg = config.keys().algorithm();
        PublicJsonWebKey jwk = alg.equals(AlgorithmIdentifiers.RSA_USING_SHA256)
                ? RsaJwkGenerator.generateJwk(2048)
                : EcJwkGenerator.generateJwk(EllipticCurves.P256);
        String kid = thumbprintKid(jwk);
        jwk.setKeyId(kid);
        jwk.setAlgorithm(alg);
        jwk.setUse("sig");
        return new Key(kid, alg, jwk, now, null);
    }

    /** The RFC 7638 SHA-256 thumbprint, shortened: stable and unique enough for a kid. */
    private static String thumbprintKid(PublicJsonWebKey jwk) throws JoseException {
        byte[] thumbprint = jwk.calculateThumbprint("SHA-256");
        try {
            MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(thumbprint).substring(0, 22);
    }
}
