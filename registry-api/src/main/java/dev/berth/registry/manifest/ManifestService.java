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
import dev.berth.registry.repository.ImageRepositoryRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
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

    private final ImageRepositoryRepository repositories;
    private final ManifestRepository manifests;
    private final OutboxRepository outbox;
    private final ObjectMapper mapper;
    private final Pool sql;

    public ManifestService(ImageRepositoryRepository repositories, ManifestRepository manifests,
            OutboxRepository outbox, ObjectMapper mapper, Pool sql) {
        this.repositories = repositories;
        this.manifests = manifests;
        this.outbox = outbox;
        this.mapper = mapper;
        this.sql = sql;
    }

    /**
     * Stores a manifest under a tag or its digest, in one statement ({@link ManifestRepository#push}):
     * the referenced blobs are locked ({@code FOR SHARE}) until it commits, so a concurrent garbage
     * collection either sees this manifest or makes the push fail; never a manifest whose blob is gone.
     */
    @Override
    public Uni<Pushed> put(RepositoryName name, Reference reference, String contentType, byte[] body) {
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
        return push(manifest, doc, name, 0)
                .map(outcome -> new Pushed(digest, subject, outcome.tagMoved() ? tag : null));
    }

    private Uni<ManifestRepository.PushOutcome> push(ManifestRepository.NewManifest manifest, ManifestDocument doc,
            RepositoryName name, int attempt) {
        return manifests.push(sql, manifest)
                // the existing manifest a tag was to point at was deleted meanwhile: the next attempt stores it again
                .onFailure(e -> e instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
                        && attempt < 2)
                .recoverWithItem(e -> null)
                .chain(outcome -> {
                    if (outcome != null && !outcome.accepted()) {
                        throw refusal(outcome, doc, name);
                    }
                    if (outcome != null && outcome.stored()) {
                        return Uni.createFrom().item(outcome);
                    }
                    // a concurrent push created the repository or this manifest after the statement's snapshot
                    if (attempt >= 2) {
                        return Uni.createFrom().failure(new IllegalStateException("manifest " + manifest.digest()
                                + " of " + name + " could not be stored under concurrent pushes"));
                    }
                    LOG.debugf("Push of %s to %s: stored concurrently, trying again", manifest.digest(), name);
                    return push(manifest, doc, name, attempt + 1);
                });
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
    public Uni<Deleted> delete(RepositoryName name, Reference reference) {
        return reference instanceof Reference.ByTag t ? deleteTag(name, t) : deleteManifest(name, reference);
    }

    /**
     * One statement: the tag and its {@code tag.deleted} event. Not found is asked once more, with a new snapshot:
     * the tag may have been moved by a push that committed while the first statement ran.
     */
    private Uni<Deleted> deleteTag(RepositoryName name, Reference.ByTag reference) {
        return deleteTag(name, reference, 2);
    }

    private Uni<Deleted> deleteTag(RepositoryName name, Reference.ByTag reference, int attempts) {
        String tag = reference.tag().value();
        return manifests.deleteTag(sql, name.value(), tag).chain(result -> {
            if (!result.repositoryExists()) {
                return Uni.createFrom().failure(nameUnknown(name));
            }
            if (result.deleted()) {
                return Uni.createFrom().item(new Deleted(List.of(tag), List.of()));
            }
            return attempts > 1 ? deleteTag(name, reference, attempts - 1)
                    : Uni.createFrom().failure(unknown(name, reference));
        });
    }

    /** In a transaction: see {@link ManifestRepository#lockByDigest}. */
    private Uni<Deleted> deleteManifest(RepositoryName name, Reference reference) {
        String digest = reference.toString();
        return sql.withTransaction(tx -> manifests.lockByDigest(tx, name.value(), digest).chain(m -> {
            if (m == null) {
                return repositories.exists(tx, name.value()).chain(exists -> Uni.createFrom().<Deleted>failure(
                        exists ? unknown(name, reference) : nameUnknown(name)));
            }
            return manifests.tagsOf(tx, m.id()).chain(tagNames -> {
                Uni<Void> events = Uni.createFrom().voidItem();
                for (String tag : tagNames) {
                    events = events.chain(() -> outbox.append(tx, RegistryEvent.TAG_DELETED, name.value(), digest, tag,
                            m.mediaType()));
                }
                return events.chain(() -> manifests.deleteById(tx, m.id()))
                        .chain(() -> outbox.append(tx, RegistryEvent.MANIFEST_DELETED, name.value(), digest, null,
                                m.mediaType()))
                        .replaceWith(new Deleted(tagNames, List.of(digest)));
            });
        }));
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
