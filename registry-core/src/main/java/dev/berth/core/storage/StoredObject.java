package dev.berth.core.storage;

import java.time.Instant;

/**
 * An object found by a storage listing ({@link BlobStore#list}). The key is the store's raw name: a listing may
 * find objects the registry never wrote, whose names are not valid {@link StorageKey}s.
 *
 * @param key          the object's key, relative to the store's root
 * @param size         its size in bytes
 * @param lastModified when it was last written (for a filesystem: the file's modification time; for S3: the
 *                     object's {@code Last-Modified}, which for a multipart upload is when the upload began)
 */
public record StoredObject(String key, long size, Instant lastModified) {
}
