package dev.berth.core.media;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.core.digest.Digest;
import dev.berth.core.digest.InvalidDigestException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed image manifest or index: its effective media type and everything it points at. Parsing
 * validates what protects the store (schema version, media type agreement, descriptor digests) and
 * never changes the bytes: the stored manifest is exactly what the client sent.
 */
public final class ManifestDocument {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private final String mediaType;
    private final Descriptor config;
    private final List<Descriptor> layers;
    private final List<Descriptor> manifests;
    private final Descriptor subject;
    private final String artifactType;
    private final Map<String, String> annotations;
    private final List<String> platforms;

    private ManifestDocument(String mediaType, Descriptor config, List<Descriptor> layers, List<Descriptor> manifests,
            Descriptor subject, String artifactType, Map<String, String> annotations, List<String> platforms) {
        this.mediaType = mediaType;
        this.config = config;
        this.layers = layers;
        this.manifests = manifests;
        this.subject = subject;
        this.artifactType = artifactType;
        this.annotations = annotations;
        this.platforms = platforms;
    }

    /**
     * Parses a manifest as sent with the given {@code Content-Type}.
     *
     * @throws InvalidManifestException with a message fit for the client when it cannot be stored
     */
    public static ManifestDocument parse(String contentType, byte[] body) {
        String declared = MediaTypes.base(contentType);
        if (MediaTypes.isSchema1(declared)) {
            throw schema1();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidManifestException("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidManifestException("manifest could not be read: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode)) {
            throw new InvalidManifestException("manifest must be a JSON object");
        }
        JsonNode schemaVersion = root.get("schemaVersion");
        if (schemaVersion != null && schemaVersion.isInt() && schemaVersion.intValue() == 1) {
            throw schema1();
        }
        if (schemaVersion == null || !schemaVersion.isInt() || schemaVersion.intValue() != 2) {
            throw new InvalidManifestException("manifest schemaVersion must be 2");
        }
        boolean hasManifests = root.has("manifests");
        boolean hasImageFields = root.has("layers") || root.has("config");
        if (hasManifests && hasImageFields) {
            throw new InvalidManifestException(
                    "document has both 'manifests' and 'layers'/'config': it cannot be a manifest and an index at once");
        }
        String bodyType = textOrNull(root, "mediaType");
        if (bodyType != null && MediaTypes.isSchema1(bodyType)) {
            throw schema1();
        }
        String effective = bodyType;
        if (declared != null && MediaTypes.MANIFEST_TYPES.contains(declared)) {
            if (bodyType != null && !bodyType.equals(declared)) {
                throw new InvalidManifestException("Content-Type " + declared + " does not match the manifest's mediaType "
                        + bodyType);
            }
            effective = declared;
        }
        if (effective == null) {
            effective = hasManifests ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        }
        if (!MediaTypes.MANIFEST_TYPES.contains(effective)) {
            throw new InvalidManifestException("unsupported manifest media type: " + effective);
        }
        boolean index = MediaTypes.isIndex(effective);
        if (index && hasImageFields) {
            throw new InvalidManifestException("an index (" + effective + ") must not have 'layers' or 'config'");
        }
        if (!index && hasManifests) {
            throw new InvalidManifestException("an image manifest (" + effective + ") must not have 'manifests'");
        }
        Descriptor config = null;
        List<Descriptor> layers = List.of();
        List<Descriptor> manifests = List.of();
        List<String> platforms = List.of();
        if (index) {
            manifests = descriptors(root, "manifests", true);
            platforms = platforms(root.get("manifests"));
        } else {
            JsonNode configNode = root.get("config");
            if (configNode == null) {
                throw new InvalidManifestException("image manifest has no 'config' descriptor");
            }
            config = descriptor(configNode, "config");
            layers = descriptors(root, "layers", !MediaTypes.OCI_MANIFEST.equals(effective));
        }
        Descriptor subject = root.hasNonNull("subject") ? descriptor(root.get("subject"), "subject") : null;
        String artifactType = textOrNull(root, "artifactType");
        return new ManifestDocument(effective, config, layers, manifests, subject, artifactType,
                stringMap(root.get("annotations")), platforms);
    }

    /**
     * {@code os/architecture[/variant]} of each child of an index that names its platform, in index order
     * (what events and the catalog show); children without a platform object are left out.
     */
    private static List<String> platforms(JsonNode children) {
        List<String> out = new ArrayList<>();
        for (JsonNode child : children) {
            JsonNode platform = child.get("platform");
            if (platform == null || !platform.isObject()) {
                continue;
            }
            String os = textOrNull(platform, "os");
            String architecture = textOrNull(platform, "architecture");
            if (os == null || architecture == null) {
                continue;
            }
            String variant = textOrNull(platform, "variant");
            out.add(os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant));
        }
        return List.copyOf(out);
    }

    private static InvalidManifestException schema1() {
        return new InvalidManifestException(
                "Docker image manifest schema 1 is not supported; push with a client that writes schema 2 or OCI manifests");
    }

    private static List<Descriptor> descriptors(JsonNode root, String field, boolean required) {
        JsonNode array = root.get(field);
        if (array == null || array.isNull()) {
            if (required) {
                throw new InvalidManifestException("manifest has no '" + field + "' array");
            }
            return List.of();
        }
        if (!array.isArray()) {
            throw new InvalidManifestException("'" + field + "' must be an array");
        }
        List<Descriptor> out = new ArrayList<>(array.size());
        int i = 0;
        for (JsonNode node : array) {
            out.add(descriptor(node, field + "[" + i++ + "]"));
        }
        return List.copyOf(out);
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (!(node instanceof ObjectNode)) {
            throw new InvalidManifestException(where + " must be a descriptor object");
        }
        String mediaType = textOrNull(node, "mediaType");
        if (mediaType == null) {
            throw new InvalidManifestException(where + " has no mediaType");
        }
        String digestText = textOrNull(node, "digest");
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (InvalidDigestException e) {
            throw new InvalidManifestException(where + ": " + e.getMessage());
        }
        JsonNode size = node.get("size");
        if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.longValue() < 0) {
            throw new InvalidManifestException(where + " has no valid size");
        }
        return new Descriptor(mediaType, digest, size.longValue(), textOrNull(node, "artifactType"),
                stringMap(node.get("annotations")));
    }

    private static Map<String, String> stringMap(JsonNode node) {
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        Map<String, String> map = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            map.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
        }
        return map;
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    public String mediaType() {
        return mediaType;
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }

    public Optional<Descriptor> config() {
        return Optional.ofNullable(config);
    }

    public List<Descriptor> layers() {
        return layers;
    }

    public List<Descriptor> manifests() {
        return manifests;
    }

    public Optional<Descriptor> subject() {
        return Optional.ofNullable(subject);
    }

    /** The artifact type for the referrers API: {@code artifactType}, else the config media type. */
    public String effectiveArtifactType() {
        if (artifactType != null) {
            return artifactType;
        }
        return config != null ? config.mediaType() : null;
    }

    /** {@code os/architecture[/variant]} of the children of an index, in index order; empty for an image manifest. */
    public List<String> platforms() {
        return platforms;
    }

    public Map<String, String> annotations() {
        return annotations;
    }

    /** Blobs (config and distributable layers) that must exist in the repository before this manifest. */
    public List<Descriptor> requiredBlobs() {
        List<Descriptor> out = new ArrayList<>();
        if (config != null) {
            out.add(config);
        }
        for (Descriptor layer : layers) {
            if (!MediaTypes.isNonDistributable(layer.mediaType())) {
                out.add(layer);
            }
        }
        return out;
    }
}
