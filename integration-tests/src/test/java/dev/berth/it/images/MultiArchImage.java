package dev.berth.it.images;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates a two-platform OCI image (linux/amd64 and linux/arm64/v8) as an OCI layout: an image index,
 * two manifests, two configs and random-content layers from 1 KiB to 64 MiB, some gzip-compressed and
 * some plain tars, one base layer shared by both platforms.
 */
public final class MultiArchImage {

    public static final int KIB = 1024;
    public static final int MIB = 1024 * 1024;

    /** One platform's image. */
    public record Platform(String architecture, String variant, Descriptor manifest, Descriptor config, List<Descriptor> layers) {
    }

    private final OciLayout layout;
    private final String tag;
    private final Descriptor index;
    private final List<Platform> platforms;

    private MultiArchImage(OciLayout layout, String tag, Descriptor index, List<Platform> platforms) {
        this.layout = layout;
        this.tag = tag;
        this.index = index;
        this.platforms = platforms;
    }

    /** The size of the largest layer's file: 64 MiB, or -Dberth.it.bigLayerMiB. */
    public static long bigLayerBytes() {
        return Long.getLong("berth.it.bigLayerMiB", 64) * MIB;
    }

    public static MultiArchImage generate(Path dir, String tag, RandomContent random) {
        return generate(dir, tag, random, bigLayerBytes());
    }

    /** As {@link #generate(Path, String, RandomContent)} with the largest layer's file of {@code bigLayerBytes}. */
    public static MultiArchImage generate(Path dir, String tag, RandomContent random, long bigLayerBytes) {
        OciLayout layout = OciLayout.create(dir);
        byte[] shared = random.bytes(KIB);
        OciLayout.Layer base = layout.writeLayer(true, tar -> {
            tar.directory("base");
            tar.file("base/shared.bin", shared);
        });
        List<Platform> platforms = new ArrayList<>();
        platforms.add(platform(layout, "amd64", null, base, List.of(
                layout.writeLayer(true, tar -> {
                    tar.directory("amd64");
                    tar.file("amd64/one-mib.bin", random.bytes(MIB + 13));
                }),
                layout.writeLayer(false, tar -> {
                    tar.directory("amd64");
                    tar.file("amd64/big.bin", 0644, bigLayerBytes, out -> random.write(out, bigLayerBytes));
                }))));
        platforms.add(platform(layout, "arm64", "v8", base, List.of(
                layout.writeLayer(true, tar -> {
                    tar.directory("arm64");
                    tar.file("arm64/small.bin", random.bytes(4 * KIB + 1));
                }),
                layout.writeLayer(false, tar -> {
                    tar.directory("arm64");
                    tar.file("arm64/medium.bin", random.bytes(3 * MIB + 5));
                }))));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        List<Map<String, Object>> manifests = new ArrayList<>();
        for (Platform platform : platforms) {
            manifests.add(platform.manifest().toJson());
        }
        index.put("manifests", manifests);
        index.put("annotations", Map.of("org.opencontainers.image.description", "berth integration test, seed " + random.seed()));
        Descriptor indexDescriptor = layout.writeJson(MediaTypes.OCI_INDEX, index);
        layout.writeIndexJson(indexDescriptor, tag);
        return new MultiArchImage(layout, tag, indexDescriptor, platforms);
    }

    private static Platform platform(OciLayout layout, String architecture, String variant, OciLayout.Layer base,
            List<OciLayout.Layer> own) {
        List<OciLayout.Layer> layers = new ArrayList<>();
        layers.add(base);
        layers.addAll(own);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("created", "2023-11-14T22:13:20Z");
        config.put("architecture", architecture);
        if (variant != null) {
            config.put("variant", variant);
        }
        config.put("os", "linux");
        config.put("config", Map.of("Env", List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                "Cmd", List.of("/bin/true")));
        OciLayout.Image image = layout.writeImage(config, layers);
        Descriptor manifestDescriptor = image.manifest().withPlatform(architecture, "linux", variant);
        return new Platform(architecture, variant, manifestDescriptor, image.config(),
                layers.stream().map(OciLayout.Layer::descriptor).toList());
    }

    public OciLayout layout() {
        return layout;
    }

    public String tag() {
        return tag;
    }

    public Descriptor index() {
        return index;
    }

    public List<Platform> platforms() {
        return platforms;
    }

    /** The largest layer (the 64 MiB one). */
    public Descriptor largestLayer() {
        return platforms.stream().flatMap(p -> p.layers().stream())
                .max(java.util.Comparator.comparingLong(Descriptor::size)).orElseThrow();
    }
}
