package dev.berth.registry.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * registry-api's compiled main classes, read as bytes. A class file names every class it uses (imports
 * that only a comment needs do not count) in its constant pool as {@code dev/berth/registry/blob/Blob},
 * so searching its bytes for such names finds its real dependencies, as {@code jdeps} does.
 */
final class CompiledClasses {
    private CompiledClasses() {
    }

    /** Every main class of the module by its path under the classes folder, with its bytes as ISO-8859-1 text. */
    static Map<String, String> all() {
        Path root = root();
        Map<String, String> classes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(f -> f.toString().endsWith(".class")).forEach(f -> {
                try {
                    classes.put(root.relativize(f).toString().replace('\\', '/'),
                            new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (classes.size() < 20) {
            throw new IllegalStateException("found only " + classes.size() + " classes under " + root);
        }
        return classes;
    }

    /** The folder (target/classes) that holds the main classes, found from one of them. */
    private static Path root() {
        try {
            return Path.of(dev.berth.registry.manifest.ManifestService.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
