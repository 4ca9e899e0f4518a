package dev.berth.it.images;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small root file system as a tar, for {@code docker import} and {@code podman import}: a few folders,
 * a text file naming the test, random binary files of odd sizes and a symbolic link. {@link #expected()}
 * lists what must come back after a push and a pull.
 */
public final class RootfsTar {

    private final Path tar;
    private final Map<String, TarReader.Entry> expected;

    private RootfsTar(Path tar, Map<String, TarReader.Entry> expected) {
        this.tar = tar;
        this.expected = expected;
    }

    public static RootfsTar generate(Path tar, String label, RandomContent random) {
        Map<String, TarReader.Entry> expected = new LinkedHashMap<>();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 16)) {
            TarWriter writer = new TarWriter(out);
            byte[] hello = ("berth integration test " + label + ", seed " + random.seed() + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] small = random.bytes(100 * 1024 + 17);
            byte[] larger = random.bytes(1024 * 1024 + 3);
            writer.directory("etc");
            writer.directory("etc/berth-it");
            writer.file("etc/berth-it/hello.txt", hello);
            writer.directory("data");
            writer.file("data/random-small.bin", small);
            writer.file("data/random-larger.bin", larger);
            writer.symlink("data/link-to-small", "random-small.bin");
            writer.finish();
            expected.put("etc/berth-it/hello.txt", TarReader.Entry.file("etc/berth-it/hello.txt", hello));
            expected.put("data/random-small.bin", TarReader.Entry.file("data/random-small.bin", small));
            expected.put("data/random-larger.bin", TarReader.Entry.file("data/random-larger.bin", larger));
            expected.put("data/link-to-small", TarReader.Entry.symlink("data/link-to-small", "random-small.bin"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tar, e);
        }
        return new RootfsTar(tar, expected);
    }

    public Path tar() {
        return tar;
    }

    /** The files and links (not folders) that must be found again, by normalised path. */
    public Map<String, TarReader.Entry> expected() {
        return expected;
    }

    /** Describes what differs between what was generated and what came back; empty when nothing does. */
    public String differences(Map<String, TarReader.Entry> actual) {
        StringBuilder text = new StringBuilder();
        expected.forEach((name, want) -> {
            TarReader.Entry got = actual.get(name);
            if (got == null) {
                text.append("\n  missing: ").append(name);
            } else if (got.type() != want.type() || got.size() != want.size() || !got.sha256().equals(want.sha256())
                    || !got.linkTarget().equals(want.linkTarget())) {
                text.append("\n  differs: ").append(name).append(" want ").append(want).append(" got ").append(got);
            }
        });
        return text.toString();
    }

    /** Reads the same summary from a folder on disk (an image mounted by podman). */
    public static Map<String, TarReader.Entry> readTree(Path root) {
        Map<String, TarReader.Entry> entries = new LinkedHashMap<>();
        try (var walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                if (path.equals(root)) {
                    continue;
                }
                String name = root.relativize(path).toString();
                if (Files.isSymbolicLink(path)) {
                    entries.put(name, TarReader.Entry.symlink(name, Files.readSymbolicLink(path).toString()));
                } else if (Files.isDirectory(path)) {
                    entries.put(name, TarReader.Entry.directory(name));
                } else if (Files.isRegularFile(path)) {
                    entries.put(name, TarReader.Entry.file(name, Files.size(path), Digests.sha256(path)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root, e);
        }
        return entries;
    }
}
