package dev.berth.core.token;

/** A bearer token that cannot be trusted; the reason is for the log only (never shown to the client). */
public class InvalidTokenException extends RuntimeException {
    public InvalidTokenException(String reason) {
        // no stack trace: refusing a token is an ordinary answer, and a flood of bad tokens must stay cheap
        super(reason, null, false, false);
    }
}
