package dev.berth.catalog.events;

import dev.berth.catalog.projection.Projection;
import dev.berth.core.event.RegistryEvent;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Set;

import static dev.berth.catalog.sql.Transactions.STATEMENT_TIMEOUT;

/**
 * Applies one event to the read model, inside the caller's transaction (the one that also advances the
 * consumer's position). Every event is idempotent by construction: inserts skip what exists, a tag that already
 * points at its digest is left alone, deletes of what is gone change nothing, so a redelivered event changes
 * nothing. Blob events do not change what the catalog shows (its sizes count the blobs of manifests).
 */
@ApplicationScoped
public class EventApplier {

    /**
     * @param touched collects the repositories whose figures must be recomputed before the transaction ends
     * @param configs collects the manifests newly copied, whose config labels may be fetched after commit
     */
    public void apply(SqlConnection tx, RegistryEvent event, Set<String> touched, Collection<NewManifest> configs) {
        String repository = event.repository();
        switch (event.type()) {
            case RegistryEvent.REPOSITORY_CREATED -> ensureRepository(tx, event);
            case RegistryEvent.REPOSITORY_DELETED -> {
                await(tx, "delete from catalog.repository where name = $1", Tuple.of(repository));
                touched.remove(repository);
            }
            case RegistryEvent.MANIFEST_PUSHED -> {
                ensureRepository(tx, event);
                copyManifest(tx, event, configs);
                touched.add(repository);
            }
            case RegistryEvent.MANIFEST_DELETED -> {
                // its tags (and, through the foreign keys, its blobs' rows) go with it
                await(tx, "delete from catalog.manifest where repository = $1 and digest = $2",
                        Tuple.of(repository, event.digest()));
                touched.add(repository);
            }
            case RegistryEvent.TAG_UPDATED -> {
                ensureRepository(tx, event);
                copyManifest(tx, event, configs);
                await(tx, Projection.UPSERT_TAG, Tuple.of(repository, event.tag(), event.digest(), time(event))
                        .addString(event.actor()));
                touched.add(repository);
            }
            case RegistryEvent.TAG_DELETED -> {
                await(tx, "delete from catalog.tag where repository = $1 and name = $2", Tuple.of(repository, event.tag()));
                touched.add(repository);
            }
            default -> {
                // blob.pushed, blob.deleted: nothing the catalog shows
            }
        }
    }

    /** Recomputes the figures of the repositories touched by the events of this transaction. */
    public void refresh(SqlConnection tx, Set<String> touched) {
        if (!touched.isEmpty()) {
            await(tx, Projection.REFRESH_REPOSITORIES, Tuple.of(touched.toArray(String[]::new)));
        }
    }

    private void ensureRepository(SqlConnection tx, RegistryEvent event) {
        await(tx, Projection.ENSURE_REPOSITORY, Tuple.of(event.repository(), time(event)));
    }

    private void copyManifest(SqlConnection tx, RegistryEvent event, Collection<NewManifest> configs) {
        if (event.digest() == null) {
            return;
        }
        var rows = tx.preparedQuery("select config_digest, config_media_type from catalog.manifest where repository = $1 and digest = $2")
                .execute(Tuple.of(event.repository(), event.digest())).await().atMost(STATEMENT_TIMEOUT);
        if (rows.size() > 0) {
            return;
        }
        long copied = tx.preparedQuery(Projection.COPY_ONE_MANIFEST).execute(Tuple.of(event.repository(), event.digest()))
                .await().atMost(STATEMENT_TIMEOUT).iterator().next().getLong(0);
        if (copied == 0) {
            // registry-api no longer holds it (deleted since): what the event says, until its manifest.deleted
            await(tx, Projection.INSERT_MANIFEST_FROM_EVENT, Tuple.tuple().addString(event.repository())
                    .addString(event.digest()).addString(event.mediaType()).addString(event.artifactType())
                    .addString(event.subject()).addLong(event.size())
                    .addArrayOfString(event.platforms().toArray(String[]::new)).addOffsetDateTime(time(event)));
            return;
        }
        var config = tx.preparedQuery("select config_digest, config_media_type from catalog.manifest where repository = $1 and digest = $2")
                .execute(Tuple.of(event.repository(), event.digest())).await().atMost(STATEMENT_TIMEOUT).iterator().next();
        if (config.getString(0) != null) {
            configs.add(new NewManifest(event.repository(), config.getString(0), config.getString(1)));
        }
    }

    /** A manifest just copied, whose image config may hold labels. */
    public record NewManifest(String repository, String configDigest, String configMediaType) {
    }

    private static OffsetDateTime time(RegistryEvent event) {
        Instant time = event.time() != null ? event.time() : Instant.now();
        return time.atOffset(ZoneOffset.UTC);
    }

    private static void await(SqlConnection tx, String sql, Tuple params) {
        tx.preparedQuery(sql).execute(params).await().atMost(STATEMENT_TIMEOUT);
    }
}
