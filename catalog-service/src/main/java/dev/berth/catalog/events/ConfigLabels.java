package dev.berth.catalog.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.catalog.config.CatalogConfig;
import dev.berth.catalog.events.EventApplier.NewManifest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Labels and platform of image configs, asked of registry-api over the bus ({@value #ADDRESS}) after the
 * manifest was applied: never inside the consumer's transaction, so a slow or absent registry-api never holds up
 * events. A config that cannot be had (no answer, too large, not JSON) leaves its tags without labels; it is
 * asked again after {@code catalog.labels.retry-after} by the backfill round. The result is stored by config
 * digest ({@code catalog.config_info}: content-addressed, so shared by every tag and kept by a rebuild).
 */
@ApplicationScoped
public class ConfigLabels {
    public static final String ADDRESS = "berth.registry.blob.read";
    private static final Logger LOG = Logger.getLogger(ConfigLabels.class);
    /** Config media types that are image configs (with Labels, os, architecture). */
    private static final Set<String> IMAGE_CONFIGS = Set.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Vertx vertx;
    private final Pool pool;
    private final CatalogConfig.Labels config;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Configs asked for or failed, with the time after which they may be asked again. */
    private final Map<String, Long> notBefore = new ConcurrentHashMap<>();
    private volatile long nextBackfill;

    public ConfigLabels(Vertx vertx, Pool pool, CatalogConfig config) {
        this.vertx = vertx;
        this.pool = pool;
        this.config = config.labels();
    }

    /** Asks for the configs of manifests just applied (those already known are skipped by the database). */
    void fetch(List<NewManifest> manifests) {
        if (!config.enabled()) {
            return;
        }
        for (NewManifest m : manifests) {
            if (m.configMediaType() != null && IMAGE_CONFIGS.contains(m.configMediaType())) {
                request(m.repository(), m.configDigest());
            }
        }
    }

    /** Now and then: configs of the read model still without labels (failed before, or copied by a rebuild). */
    void backfill() {
        long now = System.currentTimeMillis();
        if (!config.enabled() || now < nextBackfill) {
            return;
        }
        nextBackfill = now + config.backfillInterval().toMillis();
        notBefore.values().removeIf(t -> t < now);
        List<String[]> missing = new ArrayList<>();
        try {
            for (Row row : pool.preparedQuery("""
                    select distinct on (m.config_digest) m.repository, m.config_digest from catalog.manifest m
                    where m.config_media_type = any($1) and not exists (select 1 from catalog.config_info c where c.digest = m.config_digest)
                    and not (m.config_digest = any($2))
                    limit $3
                    """).execute(Tuple.of(IMAGE_CONFIGS.toArray(String[]::new), notBefore.keySet().toArray(String[]::new),
                    Math.max(1, config.concurrency()) * 4)).await().atMost(java.time.Duration.ofSeconds(30))) {
                missing.add(new String[] {row.getString(0), row.getString(1)});
            }
        } catch (RuntimeException e) {
            LOG.debugf("config backfill skipped: %s", e.getMessage());
            return;
        }
        for (String[] m : missing) {
            request(m[0], m[1]);
        }
    }

    private void request(String repository, String digest) {
        long now = System.currentTimeMillis();
        Long blocked = notBefore.get(digest);
        if (blocked != null && blocked > now) {
            return;
        }
        if (inFlight.incrementAndGet() > config.concurrency()) {
            // the backfill round asks again
            inFlight.decrementAndGet();
            return;
        }
        notBefore.put(digest, now + config.retryAfter().toMillis());
        JsonObject body = new JsonObject().put("repository", repository).put("digest", digest).put("maxBytes", config.maxBytes());
        vertx.eventBus().<Object>request(ADDRESS, body, new DeliveryOptions().setSendTimeout(config.timeout().toMillis()))
                .onComplete(reply -> {
                    inFlight.decrementAndGet();
                    if (reply.failed()) {
                        LOG.debugf("config %s of %s: no labels (%s)", digest, repository, reply.cause().getMessage());
                        return;
                    }
                    Object bytes = reply.result().body();
                    byte[] data = bytes instanceof Buffer b ? b.getBytes() : bytes instanceof byte[] a ? a : null;
                    if (data == null) {
                        LOG.debugf("config %s of %s: unexpected reply %s", digest, repository, bytes == null ? null : bytes.getClass());
                        return;
                    }
                    store(digest, data);
                });
    }

    private void store(String digest, byte[] data) {
        JsonNode root;
        try {
            root = MAPPER.readTree(data);
        } catch (IOException e) {
            LOG.debugf("config %s is not JSON: %s", digest, e.getMessage());
            return;
        }
        if (root == null || !root.isObject()) {
            return;
        }
        ObjectNode labels = MAPPER.createObjectNode();
        JsonNode found = root.path("config").path("Labels");
        if (found.isObject()) {
            found.fields().forEachRemaining(f -> {
                if (f.getValue().isTextual()) {
                    labels.put(f.getKey(), f.getValue().asText());
                }
            });
        }
        String platform = null;
        if (root.path("os").isTextual() && root.path("architecture").isTextual()) {
            platform = root.get("os").asText() + "/" + root.get("architecture").asText()
                    + (root.path("variant").isTextual() ? "/" + root.get("variant").asText() : "");
        }
        pool.preparedQuery("""
                insert into catalog.config_info (digest, labels, platform) values ($1, $2::text::jsonb, $3)
                on conflict (digest) do update set labels = excluded.labels, platform = excluded.platform, fetched_at = now()
                """).execute(Tuple.of(digest, labels.toString(), platform))
                .subscribe().with(ok -> notBefore.remove(digest),
                        failure -> LOG.debugf("config %s: not stored (%s)", digest, failure.getMessage()));
    }
}
