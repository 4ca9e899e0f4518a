package dev.berth.core.storage;

/** The backend refused or failed an operation; {@code outOfSpace} tells a full disk or quota apart. */
public class StorageException extends RuntimeException {
    private final boolean outOfSpace;

    public StorageException(String message, Throwable cause, boolean outOfSpace) {
        super(message, cause);
        this.outOfSpace = outOfSpace;
    }

    public boolean outOfSpace() {
        return outOfSpace;
    }
}
