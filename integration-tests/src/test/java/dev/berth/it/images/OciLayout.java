package dev.berth.it.images;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An OCI image layout folder ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/…}): written by
 * the tests to feed skopeo, and read back after skopeo copied an image out of a registry.
 */
public final class OciLayout {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Path dir;

    private OciLayout(Path dir) {
        this.dir = dir;
    }

    /** A new, empty layout in {@code dir}. */
    public static OciLayout create(Path dir) {
        try {
            Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new OciLayout(dir);
    }

    /** An existing layout (for example one written by skopeo). */
    public static OciLayout open(Path dir) {
        if (!Files.isRegularFile(dir.resolve("index.json"))) {
            throw new AssertionError("not an OCI layout (no index.json): " + dir);
        }
        return new OciLayout(dir);
    }

    public Path dir() {
        return dir;
    }

    public Path blobPath(String digest) {
        return dir.resolve("blobs").resolve("sha256").resolve(Digests.hex(digest));
    }

    public byte[] readBlob(String digest) {
        try {
            return Files.readAllBytes(blobPath(digest));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob " + digest + " in " + dir, e);
        }
    }

    public JsonNode readJsonBlob(String digest) {
        try {
            return JSON.readTree(readBlob(digest));
        } catch (IOException e) {
            throw new UncheckedIOException("blob " + digest + " is not JSON", e);
        }
    }

    /** A JSON document (manifest, config, index) as a blob; the bytes are kept exactly as written. */
    public Descriptor writeJson(String mediaType, Map<String, Object> document) {
        try {
            return writeBlob(mediaType, JSON.writeValueAsBytes(document));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image as written by {@link #writeImage}: its manifest and its config. */
    public record Image(Descriptor manifest, Descriptor config) {
    }

    /** Writes {@code config} (with the layers' {@code rootfs} added) and an OCI image manifest over it and the layers. */
    public Image writeImage(Map<String, Object> config, List<Layer> layers) {
        Map<String, Object> withRootfs = new LinkedHashMap<>(config);
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", layers.stream().map(Layer::diffId).toList());
        withRootfs.put("rootfs", rootfs);
        Descriptor configDescriptor = writeJson(MediaTypes.OCI_CONFIG, withRootfs);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.put("config", configDescriptor.toJson());
        manifest.put("layers", layers.stream().map(l -> l.descriptor().toJson()).toList());
        return new Image(writeJson(MediaTypes.OCI_MANIFEST, manifest), configDescriptor);
    }

    public Descriptor writeBlob(String mediaType, byte[] content) {
        String digest = Digests.sha256(content);
        try {
            Files.write(blobPath(digest), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Descriptor(mediaType, digest, content.length);
    }

    /** A layer written by {@code content}: its descriptor and its diff id (digest of the uncompressed tar). */
    public record Layer(Descriptor descriptor, String diffId) {
    }

    /** Writes one layer, as a tar or a gzip-compressed tar, streaming (no layer is held in memory). */
    public Layer writeLayer(boolean gzip, TarContent content) {
        Path tmp = dir.resolve("blobs").resolve("tmp-" + System.nanoTime());
        MessageDigest compressedDigest = Digests.newSha256();
        MessageDigest tarDigest = Digests.newSha256();
        long size;
        try {
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                    DigestOutputStream compressed = new DigestOutputStream(file, compressedDigest);
                    OutputStream middle = gzip ? new GZIPOutputStream(compressed, 1 << 16) : compressed;
                    DigestOutputStream tar = new DigestOutputStream(middle, tarDigest)) {
                TarWriter writer = new TarWriter(tar);
                content.write(writer);
                writer.finish();
            }
            size = Files.size(tmp);
            String digest = Digests.format(compressedDigest.digest());
            String diffId = Digests.format(tarDigest.digest());
            Files.move(tmp, blobPath(digest), StandardCopyOption.REPLACE_EXISTING);
            return new Layer(new Descriptor(gzip ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER_TAR, digest, size), diffId);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a layer in " + dir, e);
        }
    }

    /** Fills a layer. */
    @FunctionalInterface
    public interface TarContent {
        void write(TarWriter tar) throws IOException;
    }

    /** Writes index.json with one entry named {@code tag}. */
    public void writeIndexJson(Descriptor top, String tag) {
        Map<String, Object> entry = new LinkedHashMap<>(top.toJson());
        entry.put("annotations", Map.of(REF_NAME, tag));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", List.of(entry));
        try {
            Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The descriptor that index.json names {@code tag}. */
    public Descriptor tagged(String tag) {
        try {
            JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
            List<String> names = new ArrayList<>();
            for (JsonNode entry : index.path("manifests")) {
                String name = entry.path("annotations").path(REF_NAME).asText("");
                names.add(name);
                if (name.equals(tag)) {
                    return new Descriptor(entry.path("mediaType").asText(), entry.path("digest").asText(),
                            entry.path("size").asLong());
                }
            }
            throw new AssertionError("no entry named " + tag + " in " + dir.resolve("index.json") + " (names " + names + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every blob file: digest to size. Also checks that each file's content matches its name. */
    public Map<String, Long> verifiedBlobs() {
        Map<String, Long> blobs = new TreeMap<>();
        try (var files = Files.list(dir.resolve("blobs").resolve("sha256"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String named = "sha256:" + file.getFileName();
                String actual = Digests.sha256(file);
                if (!named.equals(actual)) {
                    throw new AssertionError("blob " + file + " has content " + actual + ", not what its name says");
                }
                blobs.put(named, Files.size(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return blobs;
    }
}
