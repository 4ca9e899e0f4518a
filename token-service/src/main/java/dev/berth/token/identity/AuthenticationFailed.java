package dev.berth.token.identity;

import java.util.Locale;

/**
 * Refused credentials of any kind. The message told to the client never says which part was wrong nor whether
 * the user name exists: a password, secret or federated token gets {@link #CLIENT_MESSAGE}, an identity token
 * (a refresh token that {@code docker login} stored) that no longer works gets {@link #LOGIN_EXPIRED}. The
 * {@link Reason} and the detail are for token-service's log only.
 */
public class AuthenticationFailed extends RuntimeException {
    public static final String CLIENT_MESSAGE =
            "authentication failed: unknown user name or wrong password, secret or token";
    public static final String LOGIN_EXPIRED =
            "your login has expired or was revoked: log in again (docker login, podman login)";

    /** Why a login failed, as logged ({@code reason=bad_credentials}). */
    public enum Reason {
        /** Wrong or unknown user name, password, client secret or federated token; malformed credentials. */
        BAD_CREDENTIALS,
        /** The account exists but is disabled (or, with an identity token, disabled or gone). */
        DISABLED,
        /** An identity token past its lifetime. */
        EXPIRED_IDENTITY_TOKEN,
        /** An identity token that was revoked. */
        REVOKED,
        /** An identity token token-service never issued (or whose row is gone). */
        UNKNOWN_IDENTITY_TOKEN;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;
    private final String clientMessage;
    /** The account concerned when known (an identity token's holder), for the log. */
    private final String username;

    /** Wrong credentials (password, secret, federated token). */
    public AuthenticationFailed(String detail) {
        this(Reason.BAD_CREDENTIALS, detail);
    }

    public AuthenticationFailed(Reason reason, String detail) {
        this(reason, detail, CLIENT_MESSAGE);
    }

    private AuthenticationFailed(Reason reason, String detail, String clientMessage, String username) {
        super(detail, null, false, false);
        this.reason = reason;
        this.clientMessage = clientMessage;
        this.username = username;
    }

    private AuthenticationFailed(Reason reason, String detail, String clientMessage) {
        this(reason, detail, clientMessage, null);
    }

    /**
     * An identity token that no longer works, whatever the reason: the client is told to log in again.
     *
     * @param username its holder, when the token is known (null otherwise)
     */
    public static AuthenticationFailed identityToken(Reason reason, String username, String detail) {
        return new AuthenticationFailed(reason, detail, LOGIN_EXPIRED, username);
    }

    /** The account concerned, when known from an identity token; null otherwise. */
    public String username() {
        return username;
    }

    public Reason reason() {
        return reason;
    }

    /** What the client is told. */
    public String clientMessage() {
        return clientMessage;
    }
}
