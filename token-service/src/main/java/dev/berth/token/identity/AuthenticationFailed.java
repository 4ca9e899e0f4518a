package dev.berth.token.identity;

/**
 * Wrong credentials of any kind. The message told to the client never says which part was wrong; the
 * reason is only logged (at debug level).
 */
public class AuthenticationFailed extends RuntimeException {
    public static final String CLIENT_MESSAGE =
            "authentication failed: unknown user name or wrong password, secret or token";

    public AuthenticationFailed(String reason) {
        super(reason, null, false, false);
    }
}
