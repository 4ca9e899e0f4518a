package dev.berth.core.event;

import java.time.Instant;

/**
 * A state change of the registry, as written to the outbox and published on the event bus.
 * Versioned: consumers ignore fields they do not know and reject a {@code version} they cannot read.
 *
 * @param sequence   the outbox sequence number, the order of truth
 * @param type       one of the {@code *_} constants
 * @param repository the repository name
 * @param digest     the manifest or blob digest, when there is one
 * @param tag        the tag, for tag events
 * @param mediaType  the manifest media type, for manifest events
 */
public record RegistryEvent(int version, long sequence, String type, String repository, String digest, String tag,
        String mediaType, Instant occurredAt) {
    public static final int CURRENT_VERSION = 1;

    public static final String MANIFEST_PUSHED = "manifest.pushed";
    public static final String MANIFEST_DELETED = "manifest.deleted";
    public static final String TAG_UPDATED = "tag.updated";
    public static final String TAG_DELETED = "tag.deleted";
    public static final String BLOB_PUSHED = "blob.pushed";
    public static final String BLOB_DELETED = "blob.deleted";
    public static final String REPOSITORY_CREATED = "repository.created";
    public static final String REPOSITORY_DELETED = "repository.deleted";
}
