package dev.berth.core.event;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A state change of the registry: version 1 of the event contract that registry-api writes to its outbox
 * and publishes on the clustered event bus, and that catalog-service and gc-worker consume. The JSON form
 * (see {@link RegistryEventJson}) uses the component names as field names and leaves out absent fields.
 * Consumers ignore fields they do not know and refuse a {@code version} newer than they can read.
 *
 * @param version      the contract version the event was written with ({@link #CURRENT_VERSION})
 * @param position     the gapless position in commit order, assigned by the outbox relay (1, 2, 3, …);
 *                     0 while the event is not yet published. The order of truth for consumers.
 * @param type         one of {@link #TYPES}
 * @param time         when the change was committed (the outbox row's time)
 * @param repository   the repository name
 * @param digest       the manifest digest (manifest and tag events) or the blob digest (blob events)
 * @param tag          the tag, for tag events
 * @param mediaType    the manifest's media type (manifest and tag events)
 * @param artifactType the manifest's artifact type (OCI 1.1), when it has one
 * @param size         the manifest's or the blob's size in bytes
 * @param platforms    {@code os/arch[/variant]} of an index's children, in index order (empty otherwise)
 * @param subject      the digest of the manifest this one refers to (signatures, SBOMs, attestations)
 * @param actor        the {@code sub} of the token that made the change; null without authentication
 */
public record RegistryEvent(int version, long position, String type, Instant time, String repository, String digest,
        String tag, String mediaType, String artifactType, Long size, List<String> platforms, String subject,
        String actor) {

    public static final int CURRENT_VERSION = 1;

    /** A manifest was stored in a repository (also when it was already there: pushes are idempotent). */
    public static final String MANIFEST_PUSHED = "manifest.pushed";
    /** A manifest was deleted from a repository, with its tags (each has its own tag.deleted before). */
    public static final String MANIFEST_DELETED = "manifest.deleted";
    /** A tag was created or moved to {@code digest}. */
    public static final String TAG_UPDATED = "tag.updated";
    /** A tag was deleted; {@code digest} is the manifest it pointed at. */
    public static final String TAG_DELETED = "tag.deleted";
    /** A blob became readable in a repository: an upload completed or a blob was mounted there. */
    public static final String BLOB_PUSHED = "blob.pushed";
    /** A blob stopped being readable in a repository ({@code repository} set) or was removed from storage. */
    public static final String BLOB_DELETED = "blob.deleted";
    /** A repository came into existence (its first upload, mount or manifest). */
    public static final String REPOSITORY_CREATED = "repository.created";
    /** A repository was deleted with everything in it. */
    public static final String REPOSITORY_DELETED = "repository.deleted";

    public static final Set<String> TYPES = Set.of(MANIFEST_PUSHED, MANIFEST_DELETED, TAG_UPDATED, TAG_DELETED,
            BLOB_PUSHED, BLOB_DELETED, REPOSITORY_CREATED, REPOSITORY_DELETED);

    public RegistryEvent {
        if (type == null || !TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown event type: " + type);
        }
        if (repository == null || repository.isEmpty()) {
            throw new IllegalArgumentException("an event names its repository");
        }
        platforms = platforms == null ? List.of() : List.copyOf(platforms);
    }

    /** A new event of the current version, not yet positioned; fill it with the {@code with…} methods. */
    public static RegistryEvent of(String type, String repository) {
        return new RegistryEvent(CURRENT_VERSION, 0, type, null, repository, null, null, null, null, null, List.of(),
                null, null);
    }

    public RegistryEvent withPosition(long position, Instant time) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }

    public RegistryEvent withDigest(String digest) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }

    public RegistryEvent withTag(String tag) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }

    /** The manifest facts every manifest and tag event carries. */
    public RegistryEvent withManifest(String mediaType, String artifactType, Long size, List<String> platforms,
            String subject) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }

    public RegistryEvent withSize(Long size) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }

    public RegistryEvent withActor(String actor) {
        return new RegistryEvent(version, position, type, time, repository, digest, tag, mediaType, artifactType, size,
                platforms, subject, actor);
    }
}
