package dev.berth.it.images;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;

/** The files of an image in an OCI layout: its layers applied in order (whiteouts are not needed here). */
public final class LayerFiles {

    private LayerFiles() {
    }

    public static Map<String, TarReader.Entry> read(OciLayout layout, JsonNode manifest) {
        Map<String, TarReader.Entry> files = new LinkedHashMap<>();
        for (JsonNode layer : manifest.path("layers")) {
            String digest = layer.path("digest").asText();
            String mediaType = layer.path("mediaType").asText();
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(layout.blobPath(digest)), 1 << 16);
                    InputStream tar = isGzip(mediaType, layout, digest) ? new GZIPInputStream(raw, 1 << 16) : raw) {
                files.putAll(TarReader.read(tar));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read layer " + digest + " (" + mediaType + ")", e);
            }
        }
        return files;
    }

    private static boolean isGzip(String mediaType, OciLayout layout, String digest) throws IOException {
        if (mediaType.endsWith("gzip")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(layout.blobPath(digest))) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }
}
