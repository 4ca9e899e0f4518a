package dev.berth.registry.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.digest.Digest;
import dev.berth.core.digest.DigestAlgorithm;
import dev.berth.core.event.RegistryEvent;
import dev.berth.core.media.Descriptor;
import dev.berth.core.media.ManifestDocument;
import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.outbox.OutboxRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Pushing, reading and deleting manifests in PostgreSQL, and what a push must prove about its
 * references. The manifest cache decorates this store (see {@link ManifestStore}).
 */
@ApplicationScoped
public class ManifestService implements ManifestStore {
    private static final Logger LOG = Logger.getLogger(ManifestService.class);
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    private final ManifestRepository manifests;
    private final OutboxRepository outbox;
    private final ObjectMapper mapper;
    private final Pool sql;

    public ManifestService(ManifestRepository manifests, OutboxRepository outbox, ObjectMapper mapper, Pool sql) {
        this.manifests = manifests;
        this.outbox = outbox;
        this.mapper = mapper;
        this.sql = sql;
    }

    /**
     * Stores a manifest under a tag or its digest: one statement ({@link ManifestRepository#push}) and its events,
     * in one transaction. The referenced blobs are locked ({@code FOR SHARE}) until it commits, so a concurrent
     * garbage collection either sees this manifest or makes the push fail; never a manifest whose blob is gone.
     */
    @Override
    public Uni<Pushed> put(RepositoryName name, Reference reference, String contentType, byte[] body, String actor) {
        ManifestDocument doc = ManifestDocument.parse(contentType, body);
        Digest digest;
        if (reference instanceof Reference.ByDigest byDigest) {
            digest = Digest.compute(byDigest.digest().algorithm(), body);
            if (!digest.equals(byDigest.digest())) {
                throw new RegistryException(OciError.DIGEST_INVALID,
                        "manifest digest is " + digest + ", not " + byDigest.digest() + " as the URL says");
            }
        } else {
            digest = Digest.compute(DigestAlgorithm.SHA256, body);
        }
        String subject = doc.subject().map(d -> d.digest().toString()).orElse(null);
        String tag = reference instanceof Reference.ByTag byTag ? byTag.tag().value() : null;
        List<Descriptor> required = doc.requiredBlobs();
        String[] blobDigests = new String[required.size()];
        Long[] blobSizes = new Long[required.size()];
        for (int i = 0; i < blobDigests.length; i++) {
            blobDigests[i] = required.get(i).digest().toString();
            blobSizes[i] = required.get(i).size();
        }
        String[] children = doc.manifests().stream().map(d -> d.digest().toString()).toArray(String[]::new);
        ManifestRepository.NewManifest manifest = new ManifestRepository.NewManifest(name.value(), digest.toString(),
                doc.mediaType(), doc.effectiveArtifactType(), subject,
                doc.annotations().isEmpty() ? null : toJson(doc.annotations()), body, blobDigests, blobSizes, children,
                references(doc), tag);
        return push(manifest, doc, name, actor, 0)
                .map(outcome -> new Pushed(digest, subject, outcome.tagMoved() ? tag : null));
    }

    private Uni<ManifestRepository.PushOutcome> push(ManifestRepository.NewManifest manifest, ManifestDocument doc,
            RepositoryName name, String actor, int attempt) {
        return sql.withTransaction(tx -> manifests.push(tx, manifest).call(outcome -> {
                    if (!outcome.accepted()) {
                        // the statement changed nothing; the failure rolls back an empty transaction
                        return Uni.createFrom().failure(refusal(outcome, doc, name));
                    }
                    return outcome.stored() ? outbox.append(tx, pushEvents(manifest, doc, outcome, actor))
                            : Uni.createFrom().voidItem();
                }))
                // the existing manifest a tag was to point at was deleted meanwhile: the next attempt stores it again
                .onFailure(e -> e instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
                        && attempt < 2)
                .recoverWithItem(e -> null)
                .chain(outcome -> {
                    if (outcome != null && outcome.stored()) {
                        return Uni.createFrom().item(outcome);
                    }
                    // a concurrent push created the repository or this manifest after the statement's snapshot
                    if (attempt >= 2) {
                        return Uni.createFrom().failure(new IllegalStateException("manifest " + manifest.digest()
                                + " of " + name + " could not be stored under concurrent pushes"));
                    }
                    LOG.debugf("Push of %s to %s: stored concurrently, trying again", manifest.digest(), name);
                    return push(manifest, doc, name, actor, attempt + 1);
                });
    }

    /**
     * The events of a stored push, in order: {@code repository.created} if it created the repository,
     * {@code manifest.pushed} always (pushes are idempotent, and a repeated one is still a push), {@code tag.updated}
     * if it created or moved the tag.
     */
    private static List<RegistryEvent> pushEvents(ManifestRepository.NewManifest m, ManifestDocument doc,
            ManifestRepository.PushOutcome outcome, String actor) {
        List<RegistryEvent> events = new ArrayList<>(3);
        if (outcome.repositoryCreated()) {
            events.add(RegistryEvent.of(RegistryEvent.REPOSITORY_CREATED, m.repository()).withActor(actor));
        }
        RegistryEvent pushed = RegistryEvent.of(RegistryEvent.MANIFEST_PUSHED, m.repository()).withDigest(m.digest())
                .withManifest(m.mediaType(), m.artifactType(), (long) m.payload().length, doc.platforms(), m.subject())
                .withActor(actor);
        events.add(pushed);
        if (outcome.tagUpdated()) {
            events.add(new RegistryEvent(pushed.version(), 0, RegistryEvent.TAG_UPDATED, null, pushed.repository(),
                    pushed.digest(), m.tag(), pushed.mediaType(), pushed.artifactType(), pushed.size(),
                    pushed.platforms(), pushed.subject(), actor));
        }
        return events;
    }

    /** Why a push was refused: the first required blob or child manifest the repository lacks. */
    private static RegistryException refusal(ManifestRepository.PushOutcome outcome, ManifestDocument doc,
            RepositoryName name) {
        for (Descriptor d : doc.requiredBlobs()) {
            Long size = outcome.linkedBlobs().get(d.digest().toString());
            if (size == null) {
                return new RegistryException(OciError.MANIFEST_BLOB_UNKNOWN,
                        "blob " + d.digest() + " (" + d.mediaType() + ") is not in repository " + name,
                        Map.of("digest", d.digest().toString()));
            }
            if (size != d.size()) {
                return new RegistryException(OciError.MANIFEST_INVALID, "descriptor of " + d.digest()
                        + " says " + d.size() + " bytes but the blob has " + size);
            }
        }
        Set<String> present = outcome.presentChildren();
        for (Descriptor child : doc.manifests()) {
            String missing = child.digest().toString();
            if (!present.contains(missing)) {
                return new RegistryException(OciError.MANIFEST_BLOB_UNKNOWN,
                        "manifest " + missing + " listed in the index is not in repository " + name,
                        Map.of("digest", missing));
            }
        }
        throw new IllegalStateException("the push of a manifest to " + name + " was refused for no reason found");
    }

    private static List<ManifestReference> references(ManifestDocument doc) {
        List<ManifestReference> refs = new ArrayList<>();
        doc.config().ifPresent(c -> refs.add(new ManifestReference(c.digest().toString(), ManifestReference.CONFIG)));
        doc.layers().forEach(l -> refs.add(new ManifestReference(l.digest().toString(), ManifestReference.LAYER)));
        doc.manifests().forEach(c -> refs.add(new ManifestReference(c.digest().toString(), ManifestReference.MANIFEST)));
        doc.subject().ifPresent(s -> refs.add(new ManifestReference(s.digest().toString(), ManifestReference.SUBJECT)));
        return refs;
    }

    /** The manifest a tag or digest names, read from PostgreSQL in one statement. */
    @Override
    public Uni<ManifestContent> get(RepositoryName name, Reference reference) {
        Uni<ManifestRepository.Found> found = reference instanceof Reference.ByTag t
                ? manifests.findByTag(sql, name.value(), t.tag().value())
                : manifests.findByDigest(sql, name.value(), reference.toString());
        return found.map(f -> {
            if (!f.repositoryExists()) {
                throw nameUnknown(name);
            }
            if (f.manifest() == null) {
                throw unknown(name, reference);
            }
            return f.manifest();
        });
    }

    @Override
    public Uni<Deleted> delete(RepositoryName name, Reference reference, String actor) {
        return reference instanceof Reference.ByTag t ? deleteTag(name, t, actor) : deleteManifest(name, reference, actor);
    }

    /**
     * The tag and its {@code tag.deleted} event, in one transaction. Not found is asked once more, by a new statement
     * (a new snapshot): the tag may have been moved by a push that committed while the first statement ran.
     */
    private Uni<Deleted> deleteTag(RepositoryName name, Reference.ByTag reference, String actor) {
        String tag = reference.tag().value();
        return sql.withTransaction(tx -> deleteTag(tx, name, reference, 2).chain(m -> outbox.append(tx,
                List.of(manifestEvent(RegistryEvent.TAG_DELETED, name, m, actor).withTag(tag)))))
                .replaceWith(new Deleted(List.of(tag), List.of()));
    }

    private Uni<ManifestRepository.Facts> deleteTag(SqlClient tx, RepositoryName name,
            Reference.ByTag reference, int attempts) {
        return manifests.deleteTag(tx, name.value(), reference.tag().value()).chain(result -> {
            if (!result.repositoryExists()) {
                return Uni.createFrom().failure(nameUnknown(name));
            }
            if (result.deleted() != null) {
                return Uni.createFrom().item(result.deleted());
            }
            return attempts > 1 ? deleteTag(tx, name, reference, attempts - 1)
                    : Uni.createFrom().failure(unknown(name, reference));
        });
    }

    /**
     * In a transaction: see {@link ManifestRepository#lockByDigest}. Events: a {@code tag.deleted} for each tag that
     * pointed at the manifest, then {@code manifest.deleted}.
     */
    private Uni<Deleted> deleteManifest(RepositoryName name, Reference reference, String actor) {
        String digest = reference.toString();
        return sql.withTransaction(tx -> manifests.lockByDigest(tx, name.value(), digest).chain(m -> {
            if (m == null) {
                return manifests.repositoryExists(tx, name.value()).chain(exists -> Uni.createFrom().<Deleted>failure(
                        exists ? unknown(name, reference) : nameUnknown(name)));
            }
            return manifests.tagsOf(tx, m.id()).chain(tagNames -> {
                List<RegistryEvent> events = new ArrayList<>(tagNames.size() + 1);
                for (String tag : tagNames) {
                    events.add(manifestEvent(RegistryEvent.TAG_DELETED, name, m.facts(), actor).withTag(tag));
                }
                events.add(manifestEvent(RegistryEvent.MANIFEST_DELETED, name, m.facts(), actor));
                return manifests.deleteById(tx, m.id())
                        .chain(() -> outbox.append(tx, events))
                        .replaceWith(new Deleted(tagNames, List.of(digest)));
            });
        }));
    }

    /** An event about a stored manifest (no platforms: those are known only to its push). */
    private static RegistryEvent manifestEvent(String type, RepositoryName name, ManifestRepository.Facts m,
            String actor) {
        return RegistryEvent.of(type, name.value()).withDigest(m.digest())
                .withManifest(m.mediaType(), m.artifactType(), m.size(), List.of(), m.subject()).withActor(actor);
    }

    private static RegistryException nameUnknown(RepositoryName name) {
        return RegistryException.nameUnknown(name);
    }

    private static RegistryException unknown(RepositoryName name, Reference reference) {
        return new RegistryException(OciError.MANIFEST_UNKNOWN,
                "manifest " + reference + " is unknown to repository " + name);
    }

    private String toJson(Map<String, String> map) {
        try {
            return mapper.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
