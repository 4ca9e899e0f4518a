package dev.berth.registry.manifest;

/**
 * What a manifest GET serves: the bytes exactly as pushed, their digest and media type. Read from
 * PostgreSQL or from the manifest cache.
 */
public record ManifestContent(String digest, String mediaType, byte[] payload) {

    public long size() {
        return payload.length;
    }
}
