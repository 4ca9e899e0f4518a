package dev.berth.token.identity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.token.local.LocalUsers;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Finds out who the caller is from a user name and a password:
 * <ol>
 * <li>a password that is a JWT of a trusted issuer: federation, verified locally;</li>
 * <li>with Keycloak configured: the password grant (a person), then the client-credentials grant (a service
 * account, user name = client id);</li>
 * <li>without Keycloak: the built-in user store.</li>
 * </ol>
 * Anything refused is an {@link AuthenticationFailed}, whatever part was wrong. A success with a password or
 * secret (2 and 3) is remembered for a short while in the {@link CredentialCache}, so that the same credentials
 * sent again skip bcrypt or the Keycloak grant.
 */
@ApplicationScoped
public class Authenticator {
    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    private final KeycloakClient keycloak;
    private final FederatedTokens federated;
    private final LocalUsers localUsers;
    private final boolean serviceAccounts;
    private final String ownClientId;
    private final CredentialCache cache;

    public Authenticator(KeycloakClient keycloak, FederatedTokens federated, LocalUsers localUsers,
            CredentialCache cache, dev.berth.token.config.TokenConfig config) {
        this.keycloak = keycloak;
        this.cache = cache;
        this.federated = federated;
        this.localUsers = localUsers;
        this.serviceAccounts = config.keycloak().serviceAccounts();
        this.ownClientId = config.keycloak().clientId();
    }

    public Identity authenticate(String username, String password) {
        if (username == null || username.isBlank() || password == null || password.isEmpty()) {
            throw new AuthenticationFailed("empty user name or password");
        }
        if (federated.handles(password)) {
            Identity identity = federated.verify(password);
            LOG.debugf("federated login of %s", identity.username());
            return identity;
        }
        CredentialCache.Source source = keycloak.configured() ? CredentialCache.Source.KEYCLOAK : CredentialCache.Source.LOCAL;
        CredentialCache.Lookup remembered = cache.lookup(source, username, password);
        if (remembered.identity().isPresent()) {
            return remembered.identity().get();
        }
        // only a success is recorded: a refusal below throws before put, so every wrong guess pays the full check
        Identity identity = source == CredentialCache.Source.KEYCLOAK ? keycloakLogin(username, password)
                : localUsers.authenticate(username, password);
        cache.put(remembered.ticket(), username, identity);
        return identity;
    }

    private Identity keycloakLogin(String username, String password) {
        AuthenticationFailed personRefusal;
        try {
            Optional<JsonNode> person = keycloak.passwordGrant(username, password);
            if (person.isPresent()) {
                JsonNode claims = person.get();
                String name = claims.path("preferred_username").asText(username);
                return new Identity(name, Identity.Kind.KEYCLOAK_USER, roles(claims), groups(claims));
            }
            personRefusal = new AuthenticationFailed("Keycloak refused " + username);
        } catch (AuthenticationFailed e) {
            personRefusal = e; // a disabled person; a service account of that name may still exist
        }
        // token-service's own client is no registry account, even for whoever knows its secret
        if (serviceAccounts && !username.equals(ownClientId)) {
            Optional<JsonNode> service = keycloak.clientCredentialsGrant(username, password);
            if (service.isPresent()) {
                JsonNode claims = service.get();
                String clientId = claims.path("azp").asText(username);
                return new Identity(clientId, Identity.Kind.SERVICE_ACCOUNT, roles(claims), groups(claims));
            }
        }
        throw personRefusal;
    }

    /**
     * The identity behind a refresh token, as it is now: empty when the account no longer exists or is
     * disabled. Roles and groups are read afresh, so policy changes apply at the next refresh.
     */
    public Optional<Identity> current(String username, Identity.Kind kind) {
        switch (kind) {
            case KEYCLOAK_USER -> {
                KeycloakClient.Account account = keycloak.user(username);
                return account.enabled() ? Optional.of(new Identity(username, kind, account.roles(), account.groups()))
                        : Optional.empty();
            }
            case SERVICE_ACCOUNT -> {
                KeycloakClient.Account account = keycloak.serviceAccount(username);
                return account.enabled() ? Optional.of(new Identity(username, kind, account.roles(), account.groups()))
                        : Optional.empty();
            }
            case LOCAL_USER -> {
                return localUsers.current(username);
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    private static Set<String> roles(JsonNode claims) {
        Set<String> roles = new LinkedHashSet<>();
        claims.path("realm_access").path("roles").forEach(r -> roles.add(r.asText()));
        return roles;
    }

    private static Set<String> groups(JsonNode claims) {
        Set<String> groups = new LinkedHashSet<>();
        claims.path("groups").forEach(g -> groups.add(g.asText()));
        return groups;
    }
}
