package dev.berth.catalog.events;

import dev.berth.catalog.projection.Projection;
import dev.berth.catalog.sql.Pipeline;
import dev.berth.core.event.RegistryEvent;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a batch of events to the read model, inside the caller's transaction (the one that also advances the
 * consumer's position), with a few set-based statements per batch instead of a few per event, all sent on the
 * connection without waiting for each other ({@link Pipeline}).
 * <p>
 * The batch is cut into runs of events that commute: additions (repository.created, manifest.pushed,
 * tag.updated) whose order within the run cannot change the result. A run ends before a deletion (applied on its
 * own, after everything before it) and before a tag.updated that moves a tag already set in the run to another
 * digest, so a tag moved twice ends at the last digest with the time of its last move, exactly as one event at a
 * time would leave it. Each run costs at most five statements: ensure repositories, copy images, copy indexes
 * (after their children), insert what registry-api no longer holds from the events, upsert tags.
 * <p>
 * Every event is idempotent by construction: inserts skip what exists, a tag that already points at its digest
 * is left alone, deletes of what is gone change nothing, so a redelivered event changes nothing. Blob events do
 * not change what the catalog shows (its sizes count the blobs of manifests).
 */
@ApplicationScoped
public class EventApplier {

    /**
     * Sends the statements that apply {@code events} (in position order) on {@code pipeline}; the caller awaits it.
     *
     * @param touched collects the repositories whose figures must be recomputed before the transaction ends
     * @param configs collects the manifests newly copied, whose config labels may be fetched after commit
     */
    public void apply(Pipeline pipeline, List<RegistryEvent> events, Set<String> touched, Collection<NewManifest> configs) {
        Run run = new Run();
        for (RegistryEvent event : events) {
            String repository = event.repository();
            switch (event.type()) {
                case RegistryEvent.REPOSITORY_CREATED -> run.repository(event);
                case RegistryEvent.MANIFEST_PUSHED -> {
                    run.repository(event);
                    run.manifest(event);
                    touched.add(repository);
                }
                case RegistryEvent.TAG_UPDATED -> {
                    if (run.movesTag(event)) {
                        run.send(pipeline, configs);
                        run = new Run();
                    }
                    run.repository(event);
                    run.manifest(event);
                    run.tag(event);
                    touched.add(repository);
                }
                case RegistryEvent.REPOSITORY_DELETED -> {
                    run = flush(run, pipeline, configs);
                    pipeline.send("delete from catalog.repository where name = $1", Tuple.of(repository));
                    touched.remove(repository);
                }
                case RegistryEvent.MANIFEST_DELETED -> {
                    run = flush(run, pipeline, configs);
                    // its tags (and, through the foreign keys, its blobs' rows) go with it
                    pipeline.send("delete from catalog.manifest where repository = $1 and digest = $2",
                            Tuple.of(repository, event.digest()));
                    touched.add(repository);
                }
                case RegistryEvent.TAG_DELETED -> {
                    run = flush(run, pipeline, configs);
                    pipeline.send("delete from catalog.tag where repository = $1 and name = $2", Tuple.of(repository, event.tag()));
                    touched.add(repository);
                }
                default -> {
                    // blob.pushed, blob.deleted: nothing the catalog shows
                }
            }
        }
        run.send(pipeline, configs);
    }

    private static Run flush(Run run, Pipeline pipeline, Collection<NewManifest> configs) {
        if (run.isEmpty()) {
            return run;
        }
        run.send(pipeline, configs);
        return new Run();
    }

    /** Recomputes the figures of the repositories touched by the events of this transaction (one statement). */
    public void refresh(Pipeline pipeline, Set<String> touched) {
        if (!touched.isEmpty()) {
            pipeline.send(Projection.REFRESH_REPOSITORIES, Tuple.of(touched.toArray(String[]::new)));
        }
    }

    /** Additions that commute, each kept once (the first event wins, as the first of them applied alone would). */
    private static final class Run {
        private final Map<String, RegistryEvent> repositories = new LinkedHashMap<>();
        private final Map<String, RegistryEvent> manifests = new LinkedHashMap<>();
        private final Map<String, RegistryEvent> tags = new LinkedHashMap<>();

        boolean isEmpty() {
            return repositories.isEmpty();
        }

        void repository(RegistryEvent event) {
            repositories.putIfAbsent(event.repository(), event);
        }

        void manifest(RegistryEvent event) {
            if (event.digest() != null) {
                manifests.putIfAbsent(event.repository() + '\n' + event.digest(), event);
            }
        }

        /** Whether the tag was set in this run to another digest (then order matters: a new run starts). */
        boolean movesTag(RegistryEvent event) {
            RegistryEvent earlier = tags.get(event.repository() + '\n' + event.tag());
            return earlier != null && !earlier.digest().equals(event.digest());
        }

        void tag(RegistryEvent event) {
            if (event.digest() != null && event.tag() != null) {
                tags.putIfAbsent(event.repository() + '\n' + event.tag(), event);
            }
        }

        void send(Pipeline pipeline, Collection<NewManifest> configs) {
            if (repositories.isEmpty()) {
                return;
            }
            pipeline.send(Projection.ENSURE_REPOSITORIES, Tuple.of(
                    repositories.keySet().toArray(String[]::new),
                    repositories.values().stream().map(EventApplier::time).toArray(OffsetDateTime[]::new)));
            if (!manifests.isEmpty()) {
                List<RegistryEvent> list = List.copyOf(manifests.values());
                String[] names = list.stream().map(RegistryEvent::repository).toArray(String[]::new);
                String[] digests = list.stream().map(RegistryEvent::digest).toArray(String[]::new);
                for (String sql : List.of(Projection.COPY_MANY_IMAGES, Projection.COPY_MANY_INDEXES)) {
                    pipeline.send(sql, Tuple.of(names, digests), rows -> rows.forEach(row -> {
                        if (row.getString(1) != null) {
                            configs.add(new NewManifest(row.getString(0), row.getString(1), row.getString(2)));
                        }
                    }));
                }
                // there already (a no-op then), or registry-api no longer holds it (deleted since): what the event
                // says, until its manifest.deleted
                pipeline.send(Projection.INSERT_MANIFESTS_FROM_EVENTS, Tuple.tuple()
                        .addArrayOfString(names).addArrayOfString(digests)
                        .addArrayOfString(list.stream().map(RegistryEvent::mediaType).toArray(String[]::new))
                        .addArrayOfString(list.stream().map(RegistryEvent::artifactType).toArray(String[]::new))
                        .addArrayOfString(list.stream().map(RegistryEvent::subject).toArray(String[]::new))
                        .addArrayOfLong(list.stream().map(e -> e.size() == null ? 0L : e.size()).toArray(Long[]::new))
                        .addArrayOfString(list.stream().map(e -> String.join("\n", e.platforms())).toArray(String[]::new))
                        .addArrayOfOffsetDateTime(list.stream().map(EventApplier::time).toArray(OffsetDateTime[]::new)));
            }
            if (!tags.isEmpty()) {
                List<RegistryEvent> list = List.copyOf(tags.values());
                pipeline.send(Projection.UPSERT_TAGS, Tuple.tuple()
                        .addArrayOfString(list.stream().map(RegistryEvent::repository).toArray(String[]::new))
                        .addArrayOfString(list.stream().map(RegistryEvent::tag).toArray(String[]::new))
                        .addArrayOfString(list.stream().map(RegistryEvent::digest).toArray(String[]::new))
                        .addArrayOfOffsetDateTime(list.stream().map(EventApplier::time).toArray(OffsetDateTime[]::new))
                        .addArrayOfString(list.stream().map(RegistryEvent::actor).toArray(String[]::new)));
            }
        }
    }

    /** A manifest just copied, whose image config may hold labels. */
    public record NewManifest(String repository, String configDigest, String configMediaType) {
    }

    private static OffsetDateTime time(RegistryEvent event) {
        Instant time = event.time() != null ? event.time() : Instant.now();
        return time.atOffset(ZoneOffset.UTC);
    }
}
