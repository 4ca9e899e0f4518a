package dev.berth.core.storage.filesystem;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.ObjectPage;
import dev.berth.core.storage.StorageException;
import dev.berth.core.storage.StorageKey;
import dev.berth.core.storage.StoredObject;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.stream.Stream;

/**
 * Blobs and uploads as files under one root folder. An upload is a file under {@code uploads/}; its
 * commit is an atomic rename into {@code blobs/}, so the bytes are written exactly once. Blocking file
 * calls run on Vert.x worker threads.
 */
public class FilesystemBlobStore implements BlobStore {
    /** Bytes of a body that may wait for the disk before the socket is paused (Vert.x' default is 128 KiB). */
    static final int WRITE_QUEUE_BYTES = 4 << 20;
    /** Body pieces are gathered into file writes of at least this size (see {@link FileChunkWriter}). */
    static final int WRITE_BATCH_BYTES = 1 << 20;
    /** A large body is flushed to disk every this many bytes while it arrives (see {@link FileChunkWriter}). */
    static final long WRITE_SYNC_BYTES = 16L << 20;
    /** Appended to the name of a file while an orphan deletion decides about it. */
    static final String TRASH_SUFFIX = ".gc-deleting";
    /** Worker threads one {@link #deleteAll} keeps busy (deletions are small metadata writes). */
    static final int DELETE_THREADS = 4;
    private static final System.Logger LOG = System.getLogger(FilesystemBlobStore.class.getName());

    private final Vertx vertx;
    private final Path root;
    private final long minFreeBytes;

    /**
     * @param minFreeBytes below this much free space the store reports itself not ready
     */
    public FilesystemBlobStore(Vertx vertx, Path root, long minFreeBytes) {
        this.vertx = vertx;
        this.root = root.toAbsolutePath().normalize();
        this.minFreeBytes = minFreeBytes;
        try {
            Files.createDirectories(this.root.resolve("blobs"));
            Files.createDirectories(this.root.resolve("uploads"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create storage folder " + this.root, e);
        }
    }

    @Override
    public String type() {
        return "filesystem";
    }

    /** One path per digest: every upload of a digest commits to the same file. */
    @Override
    public boolean keysSharedByUploads() {
        return true;
    }

    public Path root() {
        return root;
    }

    private Path resolve(StorageKey key) {
        return root.resolve(key.path());
    }

    @Override
    public Future<String> beginUpload(String uploadId) {
        StorageKey key = StorageKey.forUpload(uploadId);
        Path file = resolve(key);
        return blocking(() -> {
            Files.createDirectories(file.getParent());
            Files.newByteChannel(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
            return key.path();
        }, "cannot start upload");
    }

    @Override
    public Future<ChunkWritten> writeChunk(String handle, long offset, ReadStream<Buffer> chunk) {
        Path file = resolve(new StorageKey(handle));
        Context context = vertx.getOrCreateContext();
        return blocking(() -> FileChannel.open(file, StandardOpenOption.WRITE), "cannot open upload " + handle)
                .compose(channel -> {
                    // no fsync per chunk: a killed process loses nothing (page cache), and commit syncs
                    // the whole file once before it becomes a blob
                    FileChunkWriter writer = new FileChunkWriter(context, onWorker(context), channel, offset,
                            WRITE_BATCH_BYTES, WRITE_QUEUE_BYTES, WRITE_SYNC_BYTES);
                    Future<Long> written = chunk.pipe().endOnComplete(false).to(writer)
                            .compose(v -> writer.end())
                            .map(v -> writer.accepted());
                    return written.transform(ar -> writer.settled()
                            .compose(v -> blocking(() -> {
                                channel.close();
                                return null;
                            }, "cannot close upload " + handle))
                            .transform(closed -> ar.succeeded()
                                    ? Future.succeededFuture(new ChunkWritten(handle, ar.result()))
                                    : discardPartialChunk(file, offset).transform(ignored -> Future.failedFuture(
                                            mapError("cannot write upload " + handle, ar.cause())))));
                });
    }

    /** The worker pool as an executor, for tasks started from {@code context}. */
    private static Executor onWorker(Context context) {
        return task -> context.executeBlocking(() -> {
            task.run();
            return null;
        }, false);
    }

    /**
     * Gives back the space of a chunk that failed half-way (a full disk, a dropped client): the upload
     * stays resumable at {@code offset} and a full disk is not kept full by our own leftovers.
     */
    private Future<Void> discardPartialChunk(Path file, long offset) {
        return vertx.executeBlocking(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                if (ch.size() > offset) {
                    ch.truncate(offset);
                }
            } catch (IOException | RuntimeException e) {
                // best effort: commit cuts any excess anyway
            }
            return null;
        }, false);
    }

    @Override
    public Future<StorageKey> commitUpload(String handle, long size, Digest digest) {
        Path upload = resolve(new StorageKey(handle));
        StorageKey blobKey = StorageKey.forBlob(digest);
        Path blob = resolve(blobKey);
        return blocking(() -> {
            // A killed writer may have left bytes past the accepted size: cut them before the rename.
            try (FileChannel ch = FileChannel.open(upload, StandardOpenOption.WRITE)) {
                if (ch.size() < size) {
                    throw new StorageException("upload " + handle + " has " + ch.size() + " bytes, expected " + size,
                            null, false);
                }
                if (ch.size() > size) {
                    ch.truncate(size);
                }
                ch.force(true);
            }
            Path blobDir = blob.getParent();
            // the directories about to be created need their own entries synced too
            Path firstCreated = null;
            for (Path dir = blobDir; dir != null && !Files.isDirectory(dir); dir = dir.getParent()) {
                firstCreated = dir;
            }
            Files.createDirectories(blobDir);
            // the blob's file is marked as written now, whether it is this upload's or one stored before: an orphan
            // scan that found the file unreferenced a moment ago then leaves it (see deleteUnchangedSince)
            FileTime committedAt = FileTime.from(Instant.now());
            if (Files.exists(blob)) {
                try {
                    Files.setLastModifiedTime(blob, committedAt);
                    deleteTree(upload.getParent());
                    return blobKey;
                } catch (NoSuchFileException deleted) {
                    // an orphan scan took the old file away just now: this upload's file takes its place
                }
            }
            Files.setLastModifiedTime(upload, committedAt);
            try {
                Files.move(upload, blob, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                // another replica committed the same digest first: keep one copy
            }
            // the rename (and the blob's new directories) must survive a power loss before PostgreSQL records
            // the blob: a synced file is not enough, its directory entries are in the directories
            syncDirectory(blobDir);
            for (Path dir = blobDir; firstCreated != null; dir = dir.getParent()) {
                syncDirectory(dir.getParent());
                if (dir.equals(firstCreated)) {
                    break;
                }
            }
            deleteTree(upload.getParent());
            return blobKey;
        }, "cannot commit upload " + handle);
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public Future<ReadStream<Buffer>> readUpload(String handle, long size) {
        return read(new StorageKey(handle), 0, size);
    }

    @Override
    public Future<Void> abortUpload(String handle) {
        Path upload = resolve(new StorageKey(handle));
        return blocking(() -> {
            deleteTree(upload.getParent());
            return null;
        }, "cannot discard upload " + handle);
    }

    @Override
    public Future<ObjectPage> list(String prefix, String startAfter, int limit) {
        if (limit < 1) {
            return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
        }
        return blocking(() -> new Listing(prefix, startAfter, limit).run(), "cannot list " + prefix);
    }

    /**
     * A depth-first walk that yields the keys in lexical order: the entries of each folder are sorted by name, a
     * folder's name with its {@code /} (so {@code a-b/x} comes before {@code a/x}, as the keys sort). Only one
     * folder's entries per level of the current path are in memory; folders wholly before {@code startAfter} or
     * outside {@code prefix} are not opened.
     */
    private final class Listing {
        private final String prefix;
        private final String startAfter;
        private final int limit;
        private final List<StoredObject> found = new ArrayList<>();
        private boolean truncated;

        Listing(String prefix, String startAfter, int limit) {
            this.prefix = prefix == null ? "" : prefix;
            this.startAfter = startAfter;
            this.limit = limit;
        }

        ObjectPage run() throws IOException {
            walk(root, "");
            return new ObjectPage(found, truncated);
        }

        /** Walks {@code dir}, whose keys start with {@code path}; false once the page is full. */
        private boolean walk(Path dir, String path) throws IOException {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    names.add(Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) ? name + "/" : name);
                }
            } catch (NoSuchFileException gone) {
                return true;
            }
            Collections.sort(names);
            for (String name : names) {
                String key = path + name;
                boolean folder = name.endsWith("/");
                if (folder ? !(key.startsWith(prefix) || prefix.startsWith(key)) : !key.startsWith(prefix)) {
                    continue;
                }
                if (startAfter != null && key.compareTo(startAfter) <= 0 && !(folder && startAfter.startsWith(key))) {
                    continue;
                }
                if (found.size() == limit) {
                    truncated = true;
                    return false;
                }
                Path entry = dir.resolve(folder ? name.substring(0, name.length() - 1) : name);
                if (folder) {
                    if (!walk(entry, key)) {
                        return false;
                    }
                } else if (name.endsWith(TRASH_SUFFIX)) {
                    restoreTrash(entry);
                } else {
                    try {
                        BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS);
                        found.add(new StoredObject(key, attrs.size(), attrs.lastModifiedTime().toInstant()));
                    } catch (NoSuchFileException gone) {
                        // deleted while listed
                    }
                }
            }
            return true;
        }
    }

    /**
     * A file left in the trash by a {@link #deleteUnchangedSince} that did not finish (the process was killed) goes
     * back to its place, unless a copy is there again (same content: the key names the digest); a later scan
     * decides about it again.
     */
    private static void restoreTrash(Path trash) throws IOException {
        String name = trash.getFileName().toString();
        Path original = trash.resolveSibling(name.substring(0, name.length() - TRASH_SUFFIX.length()));
        try {
            if (Files.exists(original)) {
                Files.deleteIfExists(trash);
            } else {
                Files.move(trash, original, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (NoSuchFileException gone) {
            // another scan handled it
        }
    }

    /**
     * The object is first renamed into the trash (atomically), then its modification time is read there: a commit
     * that reused the file ({@link #commitUpload} marks it as written) before the rename shows here, and the file
     * goes back; a commit after the rename no longer finds it and puts its own file in place. Either way no
     * committed blob loses its file. (A reader may miss the file for the instant it is in the trash; that happens
     * only to a file that was unreferenced when the scan checked it.)
     */
    @Override
    public Future<Boolean> deleteUnchangedSince(String key, Instant writtenBefore) {
        Path file = resolve(new StorageKey(key));
        Path trash = file.resolveSibling(file.getFileName() + TRASH_SUFFIX);
        return blocking(() -> {
            try {
                Files.move(file, trash, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException gone) {
                return false;
            }
            if (!Files.getLastModifiedTime(trash).toInstant().isBefore(writtenBefore)) {
                // a copy put in place meanwhile has the same content (the key names the digest)
                Files.createDirectories(file.getParent());
                Files.move(trash, file, StandardCopyOption.ATOMIC_MOVE);
                return false;
            }
            Files.delete(trash);
            removeIfEmpty(file.getParent());
            return true;
        }, "cannot delete " + key);
    }

    /** Removes a blob's or an upload's folder once its last file is gone (never {@code blobs/} or {@code uploads/}). */
    private void removeIfEmpty(Path dir) throws IOException {
        if (dir.getParent().equals(root) || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                return;
            }
        }
        try {
            Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException refilled) {
            // a commit put a file there meanwhile
        }
    }

    @Override
    public Future<ReadStream<Buffer>> read(StorageKey key, long offset, long length) {
        return vertx.fileSystem().open(resolve(key).toString(), new OpenOptions().setRead(true).setWrite(false))
                .map(file -> (ReadStream<Buffer>) new ClosingFileStream(file.setReadPos(offset).setReadLength(length)))
                .recover(err -> Future.failedFuture(mapError("cannot read " + key, err)));
    }

    @Override
    public Optional<Path> localFile(StorageKey key) {
        return Optional.of(resolve(key));
    }

    @Override
    public Future<Void> delete(StorageKey key) {
        return blocking(() -> {
            deleteFile(key);
            return null;
        }, "cannot delete " + key);
    }

    /**
     * A loop over the keys on a few worker threads at once ({@value #DELETE_THREADS}), each key one file and its
     * emptied folder.
     */
    @Override
    public Future<List<String>> deleteAll(List<StorageKey> keys) {
        if (keys.isEmpty()) {
            return Future.succeededFuture(List.of());
        }
        int slices = Math.min(DELETE_THREADS, keys.size());
        int per = (keys.size() + slices - 1) / slices;
        List<Future<List<String>>> parts = new ArrayList<>();
        for (int from = 0; from < keys.size(); from += per) {
            List<StorageKey> slice = keys.subList(from, Math.min(keys.size(), from + per));
            parts.add(vertx.executeBlocking(() -> {
                List<String> failed = new ArrayList<>();
                for (StorageKey key : slice) {
                    try {
                        deleteFile(key);
                    } catch (IOException | RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "cannot delete {0}: {1}", key, e.toString());
                        failed.add(key.path());
                    }
                }
                return failed;
            }, false));
        }
        return Future.all(parts).map(all -> {
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                failed.addAll(all.<List<String>>resultAt(i));
            }
            return List.copyOf(failed);
        });
    }

    /** Deletes the file of {@code key} (gone already is fine) and its folder under {@code blobs/} when emptied. */
    private void deleteFile(StorageKey key) throws IOException {
        Path file = resolve(key);
        Files.deleteIfExists(file);
        Path dir = file.getParent();
        if (dir.startsWith(root.resolve("blobs")) && !dir.equals(root.resolve("blobs")) && Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isEmpty()) {
                    Files.deleteIfExists(dir);
                }
            }
        }
    }

    @Override
    public Future<StorageHealth> health() {
        return blocking(() -> {
            long free = Files.getFileStore(root).getUsableSpace();
            String detail = "free " + (free >> 20) + " MiB at " + root;
            return free >= minFreeBytes
                    ? new StorageHealth(true, detail)
                    : new StorageHealth(false, detail + " (below the minimum of " + (minFreeBytes >> 20) + " MiB)");
        }, "cannot check storage");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException ignored) {
                    // removed concurrently
                }
            }
        }
    }

    @FunctionalInterface
    private interface IoCall<T> {
        T call() throws Exception;
    }

    private <T> Future<T> blocking(IoCall<T> call, String what) {
        return vertx.executeBlocking(() -> {
            try {
                return call.call();
            } catch (StorageException e) {
                throw e;
            } catch (Exception e) {
                throw mapError(what, e);
            }
        }, false);
    }

    static StorageException mapError(String what, Throwable err) {
        if (err instanceof StorageException se) {
            return se;
        }
        boolean full = false;
        for (Throwable t = err; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left") || m.contains("Disk quota exceeded"))) {
                full = true;
            }
        }
        return new StorageException(what + ": " + err.getMessage(), err, full);
    }
}
