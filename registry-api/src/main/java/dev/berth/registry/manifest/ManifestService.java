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
import dev.berth.registry.blob.Blob;
import dev.berth.registry.blob.BlobRepository;
import dev.berth.registry.cache.ManifestCache;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.outbox.OutboxRepository;
import dev.berth.registry.repository.ImageRepository;
import dev.berth.registry.repository.ImageRepositoryRepository;
import dev.berth.registry.tag.TagRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Pushing, reading and deleting manifests, and what a push must prove about its references. */
@ApplicationScoped
public class ManifestService {
    private final ImageRepositoryRepository repositories;
    private final ManifestRepository manifests;
    private final BlobRepository blobs;
    private final TagRepository tags;
    private final OutboxRepository outbox;
    private final ObjectMapper mapper;
    private final ManifestCache cache;
    private final Pool sql;

    public ManifestService(ImageRepositoryRepository repositories, ManifestRepository manifests, BlobRepository blobs,
            TagRepository tags, OutboxRepository outbox, ObjectMapper mapper, ManifestCache cache, Pool sql) {
        this.repositories = repositories;
        this.manifests = manifests;
        this.blobs = blobs;
        this.tags = tags;
        this.outbox = outbox;
        this.mapper = mapper;
        this.cache = cache;
        this.sql = sql;
    }

    /** What a successful push tells the client. */
    public record Pushed(Digest digest, String subject) {
    }

    /**
     * Stores a manifest under a tag or its digest. The referenced blobs are locked ({@code FOR SHARE})
     * for the transaction, so a concurrent garbage collection either sees this manifest or makes the
     * push fail; never a manifest whose blob is gone.
     */
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
        return Panache.withTransaction(() -> repositories.getOrCreate(name.value())
                .chain(repo -> verifyReferences(repo, doc)
                        .chain(() -> manifests.findByDigest(repo.id, digest.toString()))
                        .chain(existing -> existing != null
                                ? Uni.createFrom().item(existing)
                                : insert(repo, name, doc, digest, body))
                        .chain(manifest -> reference instanceof Reference.ByTag byTag
                                ? tags.point(repo.id, byTag.tag().value(), manifest.id)
                                        .call(() -> outbox.append(RegistryEvent.TAG_UPDATED, name.value(),
                                                digest.toString(), byTag.tag().value(), manifest.mediaType))
                                : Uni.createFrom().item(false))))
                // committed: a moved tag must not be served from the cache by any replica from now on (a new tag,
                // or one that names the same manifest again, has nothing cached that could be wrong)
                .chain(moved -> moved
                        ? cache.invalidate(name, List.of(((Reference.ByTag) reference).tag().value()), List.of())
                        : Uni.createFrom().voidItem())
                .replaceWith(new Pushed(digest, subject));
    }

    private Uni<Void> verifyReferences(ImageRepository repo, ManifestDocument doc) {
        List<Descriptor> required = doc.requiredBlobs();
        Set<String> wanted = required.stream().map(d -> d.digest().toString()).collect(Collectors.toSet());
        Uni<Void> blobCheck = blobs.lockLinked(repo.id, wanted).map(found -> {
            Map<String, Long> sizes = new LinkedHashMap<>();
            for (Blob b : found) {
                sizes.put(b.digest, b.size);
            }
            for (Descriptor d : required) {
                Long size = sizes.get(d.digest().toString());
                if (size == null) {
                    throw new RegistryException(OciError.MANIFEST_BLOB_UNKNOWN,
                            "blob " + d.digest() + " (" + d.mediaType() + ") is not in repository " + repo.name,
                            Map.of("digest", d.digest().toString()));
                }
                if (size != d.size()) {
                    throw new RegistryException(OciError.MANIFEST_INVALID, "descriptor of " + d.digest()
                            + " says " + d.size() + " bytes but the blob has " + size);
                }
            }
            return null;
        });
        Set<String> children = doc.manifests().stream().map(d -> d.digest().toString())
                .collect(Collectors.toCollection(HashSet::new));
        return blobCheck.chain(() -> manifests.existingDigests(repo.id, children)).map(found -> {
            children.removeAll(found);
            if (!children.isEmpty()) {
                String missing = children.iterator().next();
                throw new RegistryException(OciError.MANIFEST_BLOB_UNKNOWN,
                        "manifest " + missing + " listed in the index is not in repository " + repo.name,
                        Map.of("digest", missing));
            }
            return null;
        });
    }

    private Uni<Manifest> insert(ImageRepository repo, RepositoryName name, ManifestDocument doc, Digest digest,
            byte[] body) {
        Manifest m = new Manifest();
        m.repositoryId = repo.id;
        m.digest = digest.toString();
        m.mediaType = doc.mediaType();
        m.artifactType = doc.effectiveArtifactType();
        m.subjectDigest = doc.subject().map(d -> d.digest().toString()).orElse(null);
        m.annotations = doc.annotations().isEmpty() ? null : toJson(doc.annotations());
        m.size = body.length;
        m.payload = body;
        m.createdAt = OffsetDateTime.now();
        return manifests.persistAndFlush(m).chain(saved -> {
            List<ManifestReference> refs = new ArrayList<>();
            doc.config().ifPresent(c -> refs.add(ManifestReference.of(saved.id, c.digest().toString(),
                    ManifestReference.CONFIG)));
            doc.layers().forEach(l -> refs.add(ManifestReference.of(saved.id, l.digest().toString(),
                    ManifestReference.LAYER)));
            doc.manifests().forEach(c -> refs.add(ManifestReference.of(saved.id, c.digest().toString(),
                    ManifestReference.MANIFEST)));
            doc.subject().ifPresent(s -> refs.add(ManifestReference.of(saved.id, s.digest().toString(),
                    ManifestReference.SUBJECT)));
            return Panache.getSession().chain(s -> s.persistAll(refs.toArray()))
                    .chain(() -> outbox.append(RegistryEvent.MANIFEST_PUSHED, name.value(), saved.digest, null,
                            saved.mediaType))
                    .replaceWith(saved);
        });
    }

    /**
     * The manifest a tag or digest names, or {@code NAME_UNKNOWN}/{@code MANIFEST_UNKNOWN}: from the
     * manifest cache when it has it, else from PostgreSQL (and then cached).
     */
    public Uni<ManifestContent> get(RepositoryName name, Reference reference) {
        Uni<ManifestContent> cached = reference instanceof Reference.ByTag t
                ? cache.tag(name, t.tag().value()).chain(digest -> digest == null
                        ? Uni.createFrom().nullItem()
                        : cache.manifest(name, digest))
                : cache.manifest(name, reference.toString());
        return cached.chain(hit -> hit != null ? Uni.createFrom().item(hit) : read(name, reference));
    }

    private Uni<ManifestContent> read(RepositoryName name, Reference reference) {
        long readStarted = cache.readStarts();
        String tag = reference instanceof Reference.ByTag t ? t.tag().value() : null;
        return Panache.withSession(() -> existingRepository(name).chain(repo -> tag != null
                ? manifests.findByTag(repo.id, tag)
                : manifests.findByDigest(repo.id, reference.toString())))
                .onItem().ifNull().failWith(() -> unknown(name, reference))
                .map(ManifestContent::of)
                .call(content -> cache.populate(name, tag, content, readStarted));
    }

    /**
     * Deletes by tag (only the tag goes) or by digest (the manifest and every tag pointing at it).
     */
    public Uni<Void> delete(RepositoryName name, Reference reference) {
        Uni<Deleted> deleted = reference instanceof Reference.ByTag t ? deleteTag(name, t) : deleteManifest(name, reference);
        // committed: no replica may serve the deleted tags or manifest from the cache from now on
        return deleted.chain(d -> cache.invalidate(name, d.tags(), d.digests()));
    }

    private Uni<Deleted> deleteTag(RepositoryName name, Reference.ByTag reference) {
        String tag = reference.tag().value();
        return Panache.withTransaction(() -> existingRepository(name).chain(repo -> manifests.findByTag(repo.id, tag)
                .chain(m -> m == null
                        ? Uni.createFrom().<Deleted>failure(unknown(name, reference))
                        : tags.deleteTag(repo.id, tag)
                                .chain(() -> outbox.append(RegistryEvent.TAG_DELETED, name.value(), m.digest, tag,
                                        m.mediaType))
                                .replaceWith(new Deleted(List.of(tag), List.of())))));
    }

    /** On the reactive SQL client: see {@link ManifestRepository#lockByDigest}. */
    private Uni<Deleted> deleteManifest(RepositoryName name, Reference reference) {
        String digest = reference.toString();
        return sql.withTransaction(tx -> manifests.lockByDigest(tx, name.value(), digest).chain(m -> {
            if (m == null) {
                return repositories.exists(tx, name.value()).chain(exists -> Uni.createFrom().<Deleted>failure(
                        exists ? unknown(name, reference) : nameUnknown(name)));
            }
            return tags.namesOf(tx, m.id()).chain(tagNames -> {
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

    /** What a delete removed, for the cache invalidation after the commit. */
    private record Deleted(List<String> tags, List<String> digests) {
    }

    /** The repository, or {@code NAME_UNKNOWN}. */
    public Uni<ImageRepository> existingRepository(RepositoryName name) {
        return repositories.findByName(name.value()).onItem().ifNull().failWith(() -> nameUnknown(name));
    }

    private static RegistryException nameUnknown(RepositoryName name) {
        return new RegistryException(OciError.NAME_UNKNOWN, "repository " + name + " is not known to the registry");
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
