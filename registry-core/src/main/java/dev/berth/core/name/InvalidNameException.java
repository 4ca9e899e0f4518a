package dev.berth.core.name;

/** A repository name or tag that breaks the spec's grammar. */
public class InvalidNameException extends IllegalArgumentException {
    public InvalidNameException(String message) {
        super(message);
    }
}
