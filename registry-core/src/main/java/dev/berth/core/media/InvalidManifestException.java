package dev.berth.core.media;

/** A manifest body the registry will not store; the message is written for the client. */
public class InvalidManifestException extends IllegalArgumentException {
    public InvalidManifestException(String message) {
        super(message);
    }
}
