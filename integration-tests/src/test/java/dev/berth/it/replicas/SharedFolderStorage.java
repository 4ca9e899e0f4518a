package dev.berth.it.replicas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.berth.it.harness.ItPaths;
import dev.berth.it.images.Digests;

/**
 * The filesystem driver on one folder that every replica mounts (as an NFS share would be in production):
 * blobs at {@code blobs/sha256/xx/HEX/data}, unfinished uploads as files under {@code uploads/}.
 */
public final class SharedFolderStorage implements ReplicaStorage {

    private final Path root;

    public SharedFolderStorage(String name) {
        this.root = ItPaths.newWorkDir(name);
    }

    @Override
    public Map<String, String> registryProperties() {
        // the filesystem driver is the default; RegistryProcess passes the root
        return Map.of();
    }

    @Override
    public Path filesystemRoot() {
        return root;
    }

    /** Blob files for the digest: every file in a folder named after its hex. */
    @Override
    public long storedCopies(String digest) throws Exception {
        String hex = Digests.hex(digest);
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> f.getParent() != null && f.getParent().getFileName().toString().equals(hex))
                    .count();
        }
    }

    /** Files left under {@code uploads/}. */
    @Override
    public long uploadLeftovers() throws Exception {
        Path uploads = root.resolve("uploads");
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(uploads)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    /** Files under the root, keys relative to it; a file or folder removed while the walk runs is skipped. */
    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String key = root.relativize(file).toString();
                if (!key.startsWith(prefix)) {
                    continue;
                }
                try {
                    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                    if (attributes.isRegularFile()) {
                        objects.add(new StoredObject(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
                    }
                } catch (NoSuchFileException gone) {
                    // deleted while listed
                }
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e;
            }
            return list(prefix); // a folder went while it was walked: once more
        }
        objects.sort(Comparator.comparing(StoredObject::key));
        return objects;
    }

    @Override
    public byte[] read(String key) throws IOException {
        try {
            return Files.readAllBytes(root.resolve(key));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void close() {
        // the folder goes with the run's work folder
    }

    @Override
    public String toString() {
        return "shared folder " + root;
    }
}
