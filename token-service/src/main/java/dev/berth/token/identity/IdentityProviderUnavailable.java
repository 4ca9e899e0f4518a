package dev.berth.token.identity;

/** Keycloak (or a federated issuer's JWKS) could not be reached or answered unexpectedly: a 503, not a failed login. */
public class IdentityProviderUnavailable extends RuntimeException {
    public IdentityProviderUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
