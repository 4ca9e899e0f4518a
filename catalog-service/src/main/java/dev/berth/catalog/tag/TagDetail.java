package dev.berth.catalog.tag;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** One tag with what its manifest holds: layers, config, labels (of the image config), annotations, referrers. */
public record TagDetail(String repository, String name, String digest, String mediaType, String artifactType, long size,
        OffsetDateTime pushedAt, String pushedBy, List<String> platforms, String configDigest, String configMediaType,
        List<Layer> layers, Map<String, Object> labels, Map<String, Object> annotations, List<Referrer> referrers) {

    public record Layer(String digest, String mediaType, Long size) {
    }

    /** A manifest whose subject is this tag's manifest: a signature, an SBOM, an attestation… */
    public record Referrer(String digest, String artifactType, String mediaType, long size, OffsetDateTime pushedAt) {
    }
}
