package dev.berth.token.identity;

import io.quarkus.oidc.client.OidcClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The OIDC clients of service accounts (one per client id and secret: an oidc-client carries its credentials),
 * kept for reuse of their connections. Only a client whose grant succeeded is kept, so wrong secrets never fill
 * the cache; at most {@code capacity} are kept, the least recently used is closed first.
 */
final class ServiceAccountClients {
    private static final Logger LOG = Logger.getLogger(ServiceAccountClients.class);

    private final Map<String, OidcClient> clients;

    ServiceAccountClients(int capacity) {
        this.clients = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, OidcClient> eldest) {
                if (size() <= capacity) {
                    return false;
                }
                close(eldest.getValue());
                return true;
            }
        };
    }

    /** A cached client for these credentials, or a new one (then {@link #granted}, {@link #refused} or {@link #failed}). */
    synchronized Lease lease(String clientId, String secret, Supplier<OidcClient> create) {
        String key = key(clientId, secret);
        OidcClient cached = clients.get(key);
        return cached != null ? new Lease(key, cached, true) : new Lease(key, create.get(), false);
    }

    /** After a successful grant: a new client is kept. */
    synchronized void granted(Lease lease) {
        if (!lease.cached()) {
            OidcClient previous = clients.put(lease.key(), lease.client());
            if (previous != null && previous != lease.client()) {
                close(previous);
            }
        }
    }

    /** After a refused grant: the client goes (a cached one too: its secret has been revoked or rotated). */
    synchronized void refused(Lease lease) {
        if (lease.cached()) {
            clients.remove(lease.key(), lease.client());
        }
        close(lease.client());
    }

    /** After Keycloak could not answer: a new client is closed, a cached one is still good. */
    synchronized void failed(Lease lease) {
        if (!lease.cached()) {
            close(lease.client());
        }
    }

    synchronized void closeAll() {
        clients.values().forEach(ServiceAccountClients::close);
        clients.clear();
    }

    record Lease(String key, OidcClient client, boolean cached) {
    }

    /** The secret is kept only as a digest in the key. */
    private static String key(String clientId, String secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(clientId.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void close(OidcClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException e) {
            LOG.debugf("closing an OIDC client: %s", e);
        }
    }
}
