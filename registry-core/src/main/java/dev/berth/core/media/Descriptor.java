package dev.berth.core.media;

import dev.berth.core.digest.Digest;
import java.util.Map;

/** An OCI content descriptor as it appears inside a manifest or index. */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
        Map<String, String> annotations) {
}
