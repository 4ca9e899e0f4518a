package dev.berth.token.identity;

import java.util.Set;

/**
 * Who the caller is, as the policy sees it: a user name, realm roles and group paths
 * ({@code /registry/team-a}). Anonymous callers have the user name {@code ""}.
 */
public record Identity(String username, Kind kind, Set<String> roles, Set<String> groups) {

    public enum Kind {
        /** No credentials. */
        ANONYMOUS,
        /** A Keycloak user (password grant). */
        KEYCLOAK_USER,
        /** A Keycloak client's service account (client-credentials grant; user name = client id). */
        SERVICE_ACCOUNT,
        /** A JWT of a trusted OIDC issuer presented as the password. */
        FEDERATED,
        /** The built-in user store (no Keycloak configured). */
        LOCAL_USER
    }

    public static final Identity ANONYMOUS = new Identity("", Kind.ANONYMOUS, Set.of(), Set.of());

    public Identity {
        roles = Set.copyOf(roles);
        groups = Set.copyOf(groups);
    }

    public boolean anonymous() {
        return kind == Kind.ANONYMOUS;
    }
}
