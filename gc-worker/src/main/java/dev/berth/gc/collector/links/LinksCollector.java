package dev.berth.gc.collector.links;

import dev.berth.core.event.RegistryEvent;
import dev.berth.gc.collector.Postponed;
import dev.berth.gc.collector.QueueCollector;
import dev.berth.gc.collector.links.LinkRepository.Candidate;
import dev.berth.gc.collector.links.LinkRepository.Check;
import dev.berth.gc.config.GcConfig;
import dev.berth.gc.outbox.OutboxWriter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code links}: removes links ({@code repository_blob}) no manifest of their repository references, once they and
 * their blob are past the grace period, from the due rows of {@code gc_link_candidate}. Each removed link is announced
 * as {@code blob.deleted} in its repository (actor gc-worker); its blob becomes a candidate of {@code blobs} (trigger).
 *
 * <p>Each batch is one transaction: (1) claim due candidates {@code FOR UPDATE SKIP LOCKED}, (2) lock their links
 * {@code FOR UPDATE SKIP LOCKED}, (3) re-check every condition in a new statement (a snapshot taken after the locks),
 * (4) delete. A link another transaction holds (a manifest push locks them {@code FOR SHARE}) is looked at again
 * later. Candidates in use are dropped, those in grace wait until their grace ends. Bytes reported: the sizes of
 * blobs whose last link this was.
 */
@ApplicationScoped
public class LinksCollector extends QueueCollector<Candidate> {
    public static final String NAME = "links";

    private final LinkRepository links;
    private final OutboxWriter outbox;
    private final GcConfig config;

    public LinksCollector(Pool pool, LinkRepository links, OutboxWriter outbox, GcConfig config) {
        super(pool);
        this.links = links;
        this.outbox = outbox;
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected String done() {
        return "links removed";
    }

    @Override
    protected Batch batch(SqlConnection tx, Set<String> failedBefore) {
        List<Candidate> claimed = links.claim(tx, config.batchSize());
        if (claimed.isEmpty()) {
            return Batch.NONE;
        }
        Set<Long> locked = links.lock(tx, claimed);
        OffsetDateTime busyUntil = OffsetDateTime.now().plus(Postponed.BUSY);
        List<Long> garbage = new ArrayList<>();
        List<RegistryEvent> events = new ArrayList<>();
        List<Candidate> drop = new ArrayList<>();
        List<Candidate> later = new ArrayList<>();
        List<OffsetDateTime> laterAt = new ArrayList<>();
        long bytes = 0;
        for (Check c : links.check(tx, claimed, config.grace())) {
            if (c.linkId() == null || c.referenced()) {
                drop.add(c.candidate());
            } else if (!locked.contains(c.linkId())) {
                later.add(c.candidate());
                laterAt.add(busyUntil);
            } else if (c.inGrace()) {
                later.add(c.candidate());
                laterAt.add(c.due());
            } else {
                garbage.add(c.linkId());
                drop.add(c.candidate());
                events.add(RegistryEvent.of(RegistryEvent.BLOB_DELETED, c.repository()).withDigest(c.candidate().digest())
                        .withSize(c.size()).withActor(OutboxWriter.ACTOR));
                bytes += c.lastLink() ? c.size() : 0;
            }
        }
        links.deleteLinks(tx, garbage);
        links.drop(tx, drop);
        links.postpone(tx, later, laterAt);
        outbox.append(tx, events);
        return new Batch(claimed.size(), garbage.size(), bytes, List.of());
    }

    @Override
    protected Candidate first() {
        return new Candidate(Long.MIN_VALUE, "");
    }

    @Override
    protected Page<Candidate> dryRunPage(SqlConnection tx, Candidate after) {
        List<Candidate> page = links.page(tx, after, config.batchSize());
        if (page.isEmpty()) {
            return new Page<>(null, 0, 0);
        }
        long objects = 0;
        long bytes = 0;
        for (Check c : links.check(tx, page, config.grace())) {
            if (c.linkId() != null && !c.referenced() && !c.inGrace()) {
                objects++;
                bytes += c.lastLink() ? c.size() : 0;
            }
        }
        return new Page<>(page.get(page.size() - 1), objects, bytes);
    }
}
