package dev.berth.core.storage;

import dev.berth.core.digest.Digest;
import java.util.regex.Pattern;

/**
 * Where an object lives inside a store: a relative path of safe characters (no {@code ..}, no leading
 * slash). Keys are made by the registry, never taken from a client.
 */
public record StorageKey(String path) {
    private static final Pattern SAFE = Pattern.compile("[a-zA-Z0-9._-]+(?:/[a-zA-Z0-9._-]+)*");

    public StorageKey {
        if (path == null || !SAFE.matcher(path).matches() || path.contains("..")) {
            throw new IllegalArgumentException("unsafe storage key: " + path);
        }
    }

    /** The content-addressed key of a committed blob. */
    public static StorageKey forBlob(Digest digest) {
        return new StorageKey("blobs/" + digest.algorithm().prefix() + "/" + digest.hex().substring(0, 2) + "/"
                + digest.hex() + "/data");
    }

    /** The key of an upload in progress. */
    public static StorageKey forUpload(String uploadId) {
        return new StorageKey("uploads/" + uploadId + "/data");
    }

    @Override
    public String toString() {
        return path;
    }
}
