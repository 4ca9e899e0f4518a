package dev.berth.core.storage;

/**
 * The backend refused or failed an operation; {@code outOfSpace} tells a full disk or quota apart, and
 * {@code unavailable} a backend that is out of reach or answers a server error (S3 5xx, connection refused,
 * timeouts): nothing was stored and the same request may succeed later.
 */
public class StorageException extends RuntimeException {
    private final boolean outOfSpace;
    private final boolean unavailable;

    public StorageException(String message, Throwable cause, boolean outOfSpace) {
        this(message, cause, outOfSpace, false);
    }

    public StorageException(String message, Throwable cause, boolean outOfSpace, boolean unavailable) {
        super(message, cause);
        this.outOfSpace = outOfSpace;
        this.unavailable = unavailable;
    }

    public boolean outOfSpace() {
        return outOfSpace;
    }

    public boolean unavailable() {
        return unavailable;
    }
}
