package dev.berth.it.replicas;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import dev.berth.it.harness.ItPaths;
import dev.berth.it.images.Digests;

/**
 * The filesystem driver on one folder that every replica mounts (as an NFS share would be in production):
 * blobs at {@code blobs/sha256/xx/HEX/data}, unfinished uploads as files under {@code uploads/}.
 */
final class SharedFolderStorage implements ReplicaStorage {

    private final Path root;

    SharedFolderStorage(String name) {
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

    @Override
    public void close() {
        // the folder goes with the run's work folder
    }

    @Override
    public String toString() {
        return "shared folder " + root;
    }
}
