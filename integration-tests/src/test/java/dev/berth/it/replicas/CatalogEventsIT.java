package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.it.harness.ManagedProcess;
import dev.berth.it.harness.CatalogServiceProcess;
import dev.berth.it.harness.Http;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.harness.TestCluster;
import dev.berth.it.images.Digests;
import dev.berth.it.images.RandomContent;

/**
 * Events between separate processes over the clustered bus: two registry-api replicas (one of them the outbox
 * relay) and catalog-service, on one PostgreSQL database and an event-bus cluster of their own, authentication off.
 * <ul>
 * <li>pushes to either replica show up in catalog-service's API, a moved tag with its new digest;</li>
 * <li>catalog-service killed with SIGKILL while pushes go on: restarted, it catches up from the outbox with nothing
 * missing;</li>
 * <li>the relay replica killed with SIGKILL right after pushes to it, then pushes to the other: the other takes the
 * lease over and everything arrives, once: the catalog's tags and tag counts are exactly what was pushed, the
 * outbox positions are gapless and catalog-service reports the last one as applied.</li>
 * </ul>
 * Waits are bounded polls for an eventual state (never assertions on speed). Berth only.
 */
class CatalogEventsIT extends ReplicaScenario {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bound of each wait for the catalog to show a state: generous, two cores run five JVMs and PostgreSQL. */
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final String CONSUMER = "catalog-service";

    private TestCluster cluster;
    private Map<String, String> replicaProperties;
    private RegistryProcess a;
    private RegistryProcess b;
    private CatalogServiceProcess catalog;
    private int catalogStarts;
    private int pushes;
    private final RandomContent random = RandomContent.fresh("catalog-events");
    /** What was pushed: repository → tag → manifest digest (the last push of each tag). */
    private final Map<String, Map<String, String>> pushed = new TreeMap<>();

    @Override
    protected ReplicaStorage createStorage() {
        return new SharedFolderStorage("catalog-events-storage");
    }

    @BeforeAll
    void startProcesses() {
        if (!againstBerth()) {
            return;
        }
        CatalogServiceProcess.runnerJar();
        cluster = TestCluster.fresh(5);
        replicaProperties = new LinkedHashMap<>(cluster.properties());
        replicaProperties.put("quarkus.log.category.\"dev.berth.registry.outbox\".level", "DEBUG");
        a = startReplica("events-a", replicaProperties);
        b = startReplica("events-b", replicaProperties);
        catalog = startCatalog();
    }

    private CatalogServiceProcess startCatalog() {
        Map<String, String> properties = new LinkedHashMap<>(cluster.properties());
        properties.put("catalog.auth.enabled", "false");
        return ItEnvironment.get().track(
                CatalogServiceProcess.start("events-" + (++catalogStarts), database, databaseName, properties));
    }

    @AfterAll
    void stopProcesses() {
        ManagedProcess.stopAll(catalog, b, a);
    }

    @Test
    @Order(1)
    void pushesToEitherReplicaShowUpInTheCatalog() {
        push(a, "events/app-1", "v1");
        push(b, "events/app-1", "v2");
        push(b, "events/app-2", "latest");
        push(a, "events/team/app-3", "1.0");
        push(a, "events/team/app-3", "1.1");
        // a tag moved on the other replica: the catalog shows the new digest
        push(b, "events/app-1", "v1");
        awaitCatalogShowsWhatWasPushed("after pushes to both replicas");
    }

    @Test
    @Order(2)
    void catalogServiceCatchesUpAfterSigkill() {
        catalog.kill9();
        push(a, "events/app-1", "v3");
        push(b, "events/app-4", "one");
        push(a, "events/app-4", "two");
        push(b, "events/app-2", "latest");
        push(a, "events/team/app-5", "x");
        catalog = startCatalog();
        awaitCatalogShowsWhatWasPushed("after catalog-service was killed and restarted");
    }

    @Test
    @Order(3)
    void relayFailoverLosesAndDuplicatesNothing() {
        RegistryProcess relay = relayReplica();
        RegistryProcess other = relay == a ? b : a;
        System.out.printf("[berth-it] the relay is %s (pid %d); killing it right after pushes to it%n", relay,
                relay.process().pid());
        // committed on the relay replica, maybe not yet positioned or published when it dies
        push(relay, "events/failover-1", "a");
        push(relay, "events/failover-1", "b");
        push(relay, "events/app-1", "v1");
        relay.kill9();
        // while the dead replica's lease has not expired yet: these wait for the takeover
        for (int i = 0; i < 4; i++) {
            push(other, "events/failover-2", "t" + i);
        }
        push(other, "events/app-4", "one");
        awaitCatalogShowsWhatWasPushed("after the relay replica was killed");
        String holder = relayHolder();
        assertThat(holderPid(holder)).as("outbox_relay.holder %s after the failover", holder)
                .isEqualTo(other.process().pid());
    }

    private RegistryProcess relayReplica() {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        String holder = null;
        while (System.nanoTime() < deadline) {
            holder = relayHolder();
            if (holder != null) {
                long pid = holderPid(holder);
                for (RegistryProcess replica : List.of(a, b)) {
                    if (replica.process().isAlive() && replica.process().pid() == pid) {
                        return replica;
                    }
                }
            }
            pause(200);
        }
        throw new AssertionError("no live replica holds the relay lease (outbox_relay.holder " + holder + ")\n"
                + a.describe() + "\n" + b.describe());
    }

    /** {@code outbox_relay.holder} while its lease is valid ({@code host:pid:random}), else null. */
    private String relayHolder() {
        return queryString("select holder from registry.outbox_relay where id = 1 and lease_until > now()");
    }

    private static long holderPid(String holder) {
        String[] parts = holder.split(":");
        assertThat(parts.length).as("outbox_relay.holder %s is host:pid:random", holder).isGreaterThanOrEqualTo(3);
        return Long.parseLong(parts[parts.length - 2]);
    }

    // ---------------------------------------------------------------------------------------------------------
    // pushing

    /** Pushes a fresh small image (a config with a label, one random layer) under {@code repository:tag}. */
    private void push(RegistryProcess replica, String repository, String tag) {
        int nonce = ++pushes;
        byte[] layer = random.bytes(1024 + nonce);
        String layerDigest = ReplicaApi.pushBlob(replica, repository, layer);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"it.berth.tag\":\""
                + tag + "\",\"it.berth.nonce\":\"" + nonce + "\"}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layerDigest + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configDigest = ReplicaApi.pushBlob(replica, repository, configBytes);
        byte[] manifest = ReplicaApi.imageManifest(configDigest, configBytes.length, Map.of(layerDigest, (long) layer.length));
        String digest = ReplicaApi.putManifest(replica, repository, tag, manifest);
        pushed.computeIfAbsent(repository, r -> new TreeMap<>()).put(tag, digest);
    }

    // ---------------------------------------------------------------------------------------------------------
    // what catalog-service shows

    /**
     * Waits (bounded) until catalog-service shows exactly the pushed repositories, each with exactly the pushed tags
     * and digests and that tag count, the outbox holds no unpositioned row, its positions are gapless, and
     * catalog-service has reported the last position as applied.
     */
    private void awaitCatalogShowsWhatWasPushed(String when) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            String problem = difference();
            if (problem == null) {
                assertOutboxGapless(when);
                return;
            }
            if (!problem.equals(last)) {
                System.out.printf("[berth-it] %s: waiting, %s%n", when, problem);
                last = problem;
            }
            if (!catalog.process().isAlive()) {
                break;
            }
            pause(300);
        }
        throw new AssertionError(when + ": catalog-service does not show what was pushed within " + SETTLE.toSeconds()
                + " s: " + last + "\npushed: " + pushed + "\n" + catalog.process().describe() + "\n" + a.describe() + "\n"
                + b.describe());
    }

    /** What differs between the catalog and what was pushed (null: nothing). */
    private String difference() {
        Map<String, Long> repositories = new TreeMap<>();
        JsonNode page = get("/api/v1/repositories?size=500&sort=name");
        if (page == null) {
            return "the repository list does not answer";
        }
        for (JsonNode item : page.path("items")) {
            repositories.put(item.path("name").asText(), item.path("tagCount").asLong(-1));
        }
        if (page.path("total").asLong(-1) != pushed.size() || !repositories.keySet().equals(pushed.keySet())) {
            return "repositories " + repositories.keySet() + " (total " + page.path("total") + "), pushed " + pushed.keySet();
        }
        for (Map.Entry<String, Map<String, String>> repository : pushed.entrySet()) {
            String name = repository.getKey();
            Map<String, String> expected = repository.getValue();
            if (repositories.get(name) != expected.size()) {
                return name + ": tagCount " + repositories.get(name) + ", pushed " + expected.size() + " tags";
            }
            JsonNode tags = get("/api/v1/repositories/" + name + "/tags?size=500");
            if (tags == null) {
                return name + ": the tag list does not answer";
            }
            Map<String, String> shown = new TreeMap<>();
            for (JsonNode tag : tags.path("items")) {
                String previous = shown.put(tag.path("name").asText(), tag.path("digest").asText());
                if (previous != null) {
                    return name + ": tag " + tag.path("name").asText() + " listed twice";
                }
            }
            if (!shown.equals(expected) || tags.path("total").asLong(-1) != expected.size()) {
                return name + ": tags " + shown + " (total " + tags.path("total") + "), pushed " + expected;
            }
        }
        long max = queryLong("select coalesce(max(position), 0) from registry.outbox");
        long unpositioned = queryLong("select count(*) from registry.outbox where position is null");
        String applied = queryString("select position::text from registry.outbox_consumer where name = '" + CONSUMER + "'");
        if (unpositioned != 0 || applied == null || Long.parseLong(applied) != max) {
            return "outbox: " + unpositioned + " rows without a position, last position " + max + ", " + CONSUMER
                    + " reported " + applied;
        }
        return null;
    }

    private void assertOutboxGapless(String when) {
        long count = queryLong("select count(*) from registry.outbox where position is not null");
        long distinct = queryLong("select count(distinct position) from registry.outbox where position is not null");
        long min = queryLong("select coalesce(min(position), 0) from registry.outbox");
        long max = queryLong("select coalesce(max(position), 0) from registry.outbox");
        assertThat(count).as("%s: outbox rows with a position", when).isPositive();
        assertThat(distinct).as("%s: distinct positions", when).isEqualTo(count);
        assertThat(max - min + 1).as("%s: positions %d..%d without gaps", when, min, max).isEqualTo(count);
    }

    /** GET of catalog-service's API: the JSON body of a 200, null when it does not answer (yet); other statuses fail. */
    private JsonNode get(String pathAndQuery) {
        if (!catalog.process().isAlive()) {
            return null;
        }
        int status = Http.statusOrMinusOne(catalog.uri("/q/health/ready"));
        if (status != 200) {
            return null;
        }
        HttpResponse<byte[]> response = Http.get(catalog.uri(pathAndQuery), "Accept", "application/json");
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as("GET %s on %s: %s", pathAndQuery, catalog, body).isEqualTo(200);
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " answered no JSON: " + body, e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // database

    private DataSource dataSource() {
        return database.dataSource(databaseName);
    }

    private long queryLong(String sql) {
        String value = queryString(sql);
        return value == null ? 0 : Long.parseLong(value);
    }

    private String queryString(String sql) {
        try (Connection connection = dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }
}
