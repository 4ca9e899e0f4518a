package dev.berth.registry.blob;

/** A stored blob as a repository sees it: digest, size and where storage keeps it (a row of {@code blob}). */
public record Blob(String digest, long size, String storageKey) {
}
