package dev.berth.registry.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import dev.berth.registry.outbox.RelayDatabase.Row;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox relay on real PostgreSQL (a database of its own, migrated by registry-api's scripts): positions are
 * gapless and follow the order in which rows become visible, one relay is active at a time and another takes
 * over from one that dies, events reach the bus in position order, pruning respects consumers and retention.
 * Several relays here stand for several registry-api replicas: one Vert.x instance stands for the clustered bus.
 */
class OutboxRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static RelayDatabase db;

    private Vertx vertx;
    private Pool pool;
    private final List<Replica> replicas = new ArrayList<>();
    /** What a consumer on the bus receives, in arrival order. */
    private final List<RegistryEvent> received = Collections.synchronizedList(new ArrayList<>());

    record Replica(OutboxRelay relay, SimpleMeterRegistry meters, Pool pool) {
    }

    record RelaySettings(Duration lease, Duration renewInterval, Duration pollInterval, int batchSize)
            implements EventsConfig.Relay {
    }

    record Settings(EventsConfig.Relay relay, Duration retention, Duration pruneInterval) implements EventsConfig {
    }

    @BeforeAll
    static void database() throws Exception {
        db = new RelayDatabase();
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        db.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        db.reset();
        vertx = Vertx.vertx();
        pool = db.pool(vertx);
        vertx.eventBus().<String>consumer(OutboxRelay.EVENTS_ADDRESS, m -> received.add(RegistryEventJson.read(m.body())));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Replica r : replicas) {
            r.relay().kill().await().atMost(WAIT);
            r.pool().close().await().atMost(WAIT);
        }
        pool.close().await().atMost(WAIT);
        vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private Replica replica(String holder, EventsConfig settings) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Pool own = db.pool(vertx);
        Replica r = new Replica(new OutboxRelay(vertx, own, new RelayRepository(), settings, meters, holder), meters, own);
        replicas.add(r);
        return r;
    }

    private static Settings settings(Duration lease, Duration renew, Duration poll, int batch) {
        return new Settings(new RelaySettings(lease, renew, poll, batch), Duration.ofDays(7), Duration.ofHours(1));
    }

    /** A relay driven by the test, round by round: it holds the lease, but no timer runs. */
    private OutboxRelay manualRelay(String holder, Settings settings) {
        OutboxRelay relay = replica(holder, settings).relay();
        assertThat(new RelayRepository().renewLease(pool, holder, Duration.ofHours(1)).await().atMost(WAIT)).isTrue();
        return relay;
    }

    private static List<RegistryEvent> round(OutboxRelay relay) {
        return relay.round().await().atMost(WAIT);
    }

    private static List<String> repositories(List<Row> rows) {
        return rows.stream().map(Row::repository).toList();
    }

    private static List<Long> positions(List<Row> rows) {
        return rows.stream().map(Row::position).toList();
    }

    private List<Long> receivedPositions() {
        synchronized (received) {
            return received.stream().map(RegistryEvent::position).toList();
        }
    }

    private static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    interface Condition {
        boolean met() throws Exception;
    }

    /** Waits for a condition (bounded, so that a broken relay fails the test instead of hanging it). */
    private static void waitFor(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.met()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting (" + WAIT + ") for: " + what);
            }
            Thread.sleep(10);
        }
    }

    /**
     * The proof that no event is skipped. A writer's transaction takes the lowest sequence and stays open while
     * others commit; the relay positions what is visible; the late transaction commits and is positioned after
     * everything committed before it. A consumer reading "position > last" sees every row exactly once, with
     * positions 1..N in the order the rows became visible. A consumer reading "sequence > last" instead had
     * already moved past the late row's sequence when it became visible, and never sees it: asserted below, so
     * this test shows the failure it guards against.
     */
    @Test
    void aTransactionThatCommitsLateIsPositionedAfterTheRowsCommittedBeforeIt() throws Exception {
        OutboxRelay relay = manualRelay("relay-a", settings(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofMillis(100), 500));
        List<Row> readByPosition = new ArrayList<>();
        List<Row> readBySequence = new ArrayList<>();
        long heldSequence;
        try (Connection held = db.connect()) {
            held.setAutoCommit(false);
            heldSequence = RelayDatabase.insert(held, "late/held");
            long a = db.insert("early/a");
            long b = db.insert("early/b");
            assertThat(heldSequence).as("the open transaction took the lowest sequence").isLessThan(a).isLessThan(b);

            assertThat(round(relay)).extracting(RegistryEvent::repository).containsExactly("early/a", "early/b");
            readByPosition.addAll(db.readAfter("position", 0));
            readBySequence.addAll(db.readAfter("sequence", 0));
            assertThat(repositories(readByPosition)).containsExactly("early/a", "early/b");
            assertThat(positions(readByPosition)).containsExactly(1L, 2L);
            assertThat(repositories(readBySequence)).as("the naive reader sees the same so far").containsExactly("early/a", "early/b");

            db.insert("early/c");
            assertThat(round(relay)).extracting(RegistryEvent::repository).containsExactly("early/c");
            held.commit();
        }
        assertThat(round(relay)).extracting(RegistryEvent::repository).containsExactly("late/held");
        assertThat(round(relay)).as("nothing is positioned twice").isEmpty();

        readByPosition.addAll(db.readAfter("position", readByPosition.get(readByPosition.size() - 1).position()));
        readBySequence.addAll(db.readAfter("sequence", readBySequence.get(readBySequence.size() - 1).sequence()));

        assertThat(repositories(readByPosition)).containsExactly("early/a", "early/b", "early/c", "late/held");
        assertThat(positions(readByPosition)).isEqualTo(oneTo(4));
        assertThat(readByPosition.get(3).sequence()).isEqualTo(heldSequence);
        // the reader of "sequence > last" never sees the late row: its sequence was below "last" when it committed
        assertThat(repositories(readBySequence)).containsExactly("early/a", "early/b", "early/c");

        waitFor("4 events on the bus", () -> received.size() == 4);
        assertThat(receivedPositions()).isEqualTo(oneTo(4));
        assertThat(received).extracting(RegistryEvent::repository).containsExactly("early/a", "early/b", "early/c", "late/held");
        assertThat(received).allSatisfy(e -> {
            assertThat(e.type()).isEqualTo(RegistryEvent.REPOSITORY_CREATED);
            assertThat(e.time()).isNotNull();
        });
    }

    /**
     * Two relays (two replicas) run against concurrent writers whose transactions overlap and commit out of
     * sequence order, while a consumer keeps reading "position > last": it sees every row exactly once, and every
     * read continues exactly where the last one stopped (no gap is ever visible). At no moment do both relays see
     * themselves as the relay. Then the relay dies without releasing its lease: the other one takes over once the
     * lease expired and positions continue without a gap or a duplicate; the bus carries every position once, in
     * order.
     */
    @Test
    void twoRelaysPositionConcurrentWritersGaplesslyAndTheSurvivorTakesOver() throws Exception {
        Settings settings = settings(Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(20), 7);
        Replica a = replica("relay-a", settings);
        Replica b = replica("relay-b", settings);
        a.relay().start();
        b.relay().start();
        waitFor("a relay", () -> a.relay().isLeader() || b.relay().isLeader());

        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicReference<String> overlap = new AtomicReference<>();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                // a, then b, then a again: both leading at once if a leads around the moment b is seen leading
                if (a.relay().isLeader() && b.relay().isLeader() && a.relay().isLeader()
                        || b.relay().isLeader() && a.relay().isLeader() && b.relay().isLeader()) {
                    overlap.compareAndSet(null, "both relays saw themselves as the relay at once");
                }
                Thread.onSpinWait();
            }
        }, "leader-sampler");
        sampler.start();

        ConcurrentLinkedQueue<Long> inserted = new ConcurrentLinkedQueue<>();
        List<Row> consumed = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<String> readerProblem = new AtomicReference<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            long last = 0;
            try {
                while (reading.get()) {
                    List<Row> rows = db.readAfter("position", last);
                    for (Row row : rows) {
                        if (row.position() != last + 1) {
                            readerProblem.compareAndSet(null, "after position " + last + " the reader saw " + row.position());
                        }
                        last = row.position();
                        consumed.add(row);
                    }
                    Thread.sleep(2);
                }
            } catch (Exception e) {
                readerProblem.compareAndSet(null, e.toString());
            }
        }, "position-reader");
        reader.start();

        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            done.add(writers.submit(() -> {
                try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    for (int t = 0; t < 40; t++) {
                        int rows = 1 + ThreadLocalRandom.current().nextInt(3);
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < rows; i++) {
                            mine.add(RelayDatabase.insert(c, "writer" + writer + "/t" + t + "-" + i));
                            // keep the transaction open a little: others take later sequences and commit first
                            Thread.sleep(ThreadLocalRandom.current().nextInt(4));
                        }
                        c.commit();
                        inserted.addAll(mine);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        writers.shutdown();
        int firstPhase = inserted.size();
        waitFor("the reader to see all " + firstPhase + " rows", () -> consumed.size() >= firstPhase);
        waitFor("all " + firstPhase + " events on the bus", () -> received.size() >= firstPhase);

        Replica leader = a.relay().isLeader() ? a : b;
        Replica survivor = leader == a ? b : a;
        assertThat(db.holder()).isEqualTo(leader.relay().holder());
        leader.relay().kill().await().atMost(WAIT);
        assertThat(db.holder()).as("a dead replica's lease stays until it expires").isEqualTo(leader.relay().holder());
        for (int i = 0; i < 20; i++) {
            inserted.add(db.insert("after/failover-" + i));
        }
        int total = inserted.size();
        waitFor("the survivor to position the rest", () -> consumed.size() >= total);
        waitFor("all " + total + " events on the bus", () -> received.size() >= total);
        assertThat(survivor.relay().isLeader()).isTrue();
        assertThat(db.holder()).isEqualTo(survivor.relay().holder());

        reading.set(false);
        reader.join(10_000);
        sampling.set(false);
        sampler.join(10_000);
        assertThat(readerProblem.get()).isNull();
        assertThat(overlap.get()).isNull();

        assertThat(positions(consumed)).isEqualTo(oneTo(total));
        assertThat(consumed.stream().map(Row::sequence).toList()).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(new HashSet<>(inserted));
        assertThat(positions(db.all())).isEqualTo(oneTo(total));
        assertThat(receivedPositions()).as("each position published once, in order").isEqualTo(oneTo(total));
        assertThat(received.subList(firstPhase, total)).extracting(RegistryEvent::repository)
                .allMatch(name -> name.startsWith("after/"));
        double publishedByBoth = a.meters().counter("berth.events.published").count()
                + b.meters().counter("berth.events.published").count();
        assertThat(publishedByBoth).isEqualTo(total);
        assertThat(survivor.meters().get("berth.events.relay.leader").gauge().value()).isEqualTo(1.0);
    }

    /**
     * A relay that shuts down releases its lease: the other replica takes over at its next try, long before the
     * lease (an hour here) would have expired.
     */
    @Test
    void aRelayThatStopsHandsOverAtOnce() throws Exception {
        Settings settings = settings(Duration.ofHours(1), Duration.ofMillis(100), Duration.ofMillis(20), 500);
        Replica a = replica("relay-a", settings);
        a.relay().start();
        waitFor("relay-a to lead", () -> a.relay().isLeader());
        Replica b = replica("relay-b", settings);
        b.relay().start();
        db.insert("before/stop");
        waitFor("the first event", () -> received.size() == 1);
        assertThat(b.relay().isLeader()).isFalse();
        assertThat(db.holder()).isEqualTo("relay-a");

        a.relay().stop().await().atMost(WAIT);
        assertThat(a.relay().isLeader()).isFalse();
        waitFor("relay-b to take over", () -> b.relay().isLeader());
        assertThat(db.holder()).isEqualTo("relay-b");
        db.insert("after/stop");
        waitFor("the second event", () -> received.size() == 2);
        assertThat(receivedPositions()).containsExactly(1L, 2L);
        assertThat(a.meters().counter("berth.events.published").count()).isEqualTo(1.0);
        assertThat(b.meters().counter("berth.events.published").count()).isEqualTo(1.0);
    }

    /**
     * With an hour between polls, only a wake-up makes the relay run a round: on its own replica directly, and
     * from another replica over the bus address the active relay listens on.
     */
    @Test
    void aWakeUpRunsARoundAtOnceFromAnyReplica() throws Exception {
        Settings settings = settings(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofHours(1), 500);
        Replica a = replica("relay-a", settings);
        a.relay().start();
        waitFor("relay-a to lead", () -> a.relay().isLeader());
        Replica b = replica("relay-b", settings);
        b.relay().start();

        db.insert("woken/here");
        a.relay().wake();
        waitFor("the event woken on the relay's replica", () -> received.size() == 1);

        db.insert("woken/elsewhere");
        assertThat(b.relay().isLeader()).isFalse();
        b.relay().wake();
        waitFor("the event woken from another replica", () -> received.size() == 2);
        assertThat(received).extracting(RegistryEvent::repository).containsExactly("woken/here", "woken/elsewhere");
        assertThat(a.meters().counter("berth.events.published").count()).isEqualTo(2.0);
        assertThat(b.meters().counter("berth.events.published").count()).isZero();
        assertThat(b.meters().get("berth.events.relay.leader").gauge().value()).isZero();
    }

    /** A row this version cannot turn into an event keeps its position (consumers see it) and blocks nothing. */
    @Test
    void anUnreadableRowIsPositionedButNotPublished() throws Exception {
        OutboxRelay relay = manualRelay("relay-a", settings(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofMillis(100), 500));
        db.insert("before/unknown");
        db.execute("insert into outbox (event_type, repository) values ('image.scanned', 'unknown/type')");
        db.insert("after/unknown");
        assertThat(round(relay)).extracting(RegistryEvent::position).containsExactly(1L, 3L);
        assertThat(positions(db.all())).isEqualTo(oneTo(3));
        db.insert("next/round");
        assertThat(round(relay)).extracting(RegistryEvent::position).containsExactly(4L);
    }

    /**
     * Pruning deletes a published row only when it is older than the retention and every registered consumer has
     * passed it; with no consumer registered, age alone decides. A row without a position is never pruned.
     */
    @Test
    void pruningRespectsConsumersAndRetention() throws Exception {
        Settings settings = new Settings(new RelaySettings(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofMillis(100), 500),
                Duration.ofHours(1), Duration.ofHours(1));
        OutboxRelay relay = manualRelay("relay-a", settings);
        for (int i = 1; i <= 6; i++) {
            db.insert("prune/" + i);
        }
        assertThat(round(relay)).hasSize(6);
        db.execute("update outbox set occurred_at = now() - interval '2 hours' where position <= 4");
        // an old row that was never positioned (as if the relay had been down): not prunable
        db.execute("insert into outbox (event_type, repository, occurred_at) "
                + "values ('repository.created', 'prune/unpositioned', now() - interval '2 hours')");

        db.execute("insert into outbox_consumer (name, position) values ('catalog-service', 2), ('gc-worker', 5)");
        assertThat(relay.prune().await().atMost(WAIT)).isEqualTo(1);
        assertThat(positions(db.all())).containsExactly(2L, 3L, 4L, 5L, 6L, 0L);

        db.execute("update outbox_consumer set position = 4 where name = 'catalog-service'");
        assertThat(relay.prune().await().atMost(WAIT)).isEqualTo(2);
        assertThat(positions(db.all())).as("position 4 is the lowest consumer's own: kept").containsExactly(4L, 5L, 6L, 0L);

        db.execute("update outbox_consumer set position = 100");
        assertThat(relay.prune().await().atMost(WAIT)).isEqualTo(1);
        assertThat(positions(db.all())).as("5 and 6 are younger than the retention").containsExactly(5L, 6L, 0L);

        db.execute("delete from outbox_consumer");
        db.execute("update outbox set occurred_at = now() - interval '2 hours' where position = 5");
        assertThat(relay.prune().await().atMost(WAIT)).as("no consumer registered: age alone").isEqualTo(1);
        assertThat(positions(db.all())).containsExactly(6L, 0L);
        assertThat(replicas.get(0).meters().counter("berth.events.pruned").count()).isEqualTo(5.0);
    }
}
