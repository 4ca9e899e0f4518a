package dev.berth.it.replicas;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The storage that every replica of a scenario shares, and a look at it behind the registry's back, so
 * that the scenarios can check what was stored whichever driver stored it (the garbage-collection tests too).
 */
public interface ReplicaStorage extends AutoCloseable {

    /** One stored object: its key as the registry names it ({@code blob.storage_key}), size and last change. */
    record StoredObject(String key, long size, Instant lastModified) {
    }

    /** The configuration that points a replica at this storage (passed as {@code -Dkey=value}). */
    Map<String, String> registryProperties();

    /** The filesystem storage root of the replicas, or null when they keep no blob on a local disk. */
    Path filesystemRoot();

    /** How many stored objects hold the bytes of {@code digest}: one once concurrent pushes of it are over. */
    long storedCopies(String digest) throws Exception;

    /** What unfinished uploads keep in the storage: nothing once every upload has been finished. */
    long uploadLeftovers() throws Exception;

    /** Every object whose key starts with {@code prefix} ("" for all), sorted by key. */
    List<StoredObject> list(String prefix) throws Exception;

    /** The object's bytes, or null when it does not exist. */
    byte[] read(String key) throws Exception;

    @Override
    void close();
}
