package dev.berth.core.digest;

/** A digest that does not parse or uses an algorithm the registry does not support. */
public class InvalidDigestException extends IllegalArgumentException {
    public InvalidDigestException(String message) {
        super(message);
    }
}
