package dev.berth.core.storage;

/**
 * The PostgreSQL lock of one digest's storage key, for stores whose uploads of a digest share one key
 * ({@link BlobStore#keysSharedByUploads()}: the filesystem). registry-api takes it while an upload of the digest
 * commits (its object takes the key); anything else that deletes an object under such a key that no {@code blob}
 * row names (gc-worker's orphan collection) takes it in its transaction, re-checks with a statement that starts after
 * the lock that no row names the object, and deletes the object before it commits. Then the deletion can never
 * remove the object of an upload committing meanwhile. Objects whose {@code blob} row is deleted need no such lock:
 * the row's lock and {@code gc_pending_object} cover them (docs/garbage-collection.md).
 */
public final class DigestKeyLock {
    private DigestKeyLock() {
    }

    /**
     * Takes the lock until the transaction ends ($1: the digest, such as {@code sha256:...}). A transaction-scoped
     * advisory lock in the two-key space (which does not overlap the one-key space of other advisory locks),
     * namespace 0x62657274 ("bert"); digests with the same hash only wait for each other.
     */
    public static final String SQL = "select pg_advisory_xact_lock(1650815604, hashtext($1))";
}
