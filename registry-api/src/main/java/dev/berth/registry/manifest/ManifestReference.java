package dev.berth.registry.manifest;

/** What a manifest points at (a row of {@code manifest_reference}); garbage collection walks these. */
public record ManifestReference(String digest, String kind) {
    public static final String CONFIG = "config";
    public static final String LAYER = "layer";
    public static final String MANIFEST = "manifest";
    public static final String SUBJECT = "subject";
}
