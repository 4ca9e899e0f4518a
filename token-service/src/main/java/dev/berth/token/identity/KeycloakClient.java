package dev.berth.token.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.token.config.TokenConfig;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.OidcClientException;
import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.Tokens;
import io.quarkus.oidc.client.runtime.OidcClientConfig;
import io.quarkus.oidc.client.runtime.TokensHelper;
import io.quarkus.oidc.common.runtime.config.OidcClientCommonConfig.Credentials.Secret;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Keycloak, called on worker threads. Its token endpoint is reached through quarkus-oidc-client: the password
 * grant through token-service's confidential client, the client-credentials grant of a service account (an
 * OIDC client per service account, see {@link ServiceAccountClients}) and token-service's own admin token
 * (client credentials, renewed by {@link TokensHelper} before it expires). The admin API (account look-ups when
 * a refresh token is used: enabled? roles? groups?) is read with a plain HTTP client and that admin token.
 * Tokens obtained here come straight from Keycloak's token endpoint, so their claims are read without
 * verifying the signature again. The OIDC clients are built from {@code token.keycloak.*} at first use: without
 * Keycloak nothing is created and nothing is contacted.
 */
@ApplicationScoped
public class KeycloakClient {
    private static final Logger LOG = Logger.getLogger(KeycloakClient.class);
    /** RFC 6749 5.2: the errors of a token request that was refused (400/401), as opposed to a server failure. */
    private static final Set<String> REFUSALS = Set.of("invalid_request", "invalid_client", "invalid_grant",
            "unauthorized_client", "unsupported_grant_type", "invalid_scope");
    private static final int SERVICE_ACCOUNT_CLIENTS = 64;
    private static final ObjectMapper ERROR_BODY = new ObjectMapper();

    private final TokenConfig.Keycloak config;
    private final OidcClients oidcClients;
    private final ObjectMapper mapper;
    private final HttpClient http;
    private final TokensHelper adminTokens = new TokensHelper();
    private final ServiceAccountClients serviceAccountClients = new ServiceAccountClients(SERVICE_ACCOUNT_CLIENTS);
    /** token-service's own confidential client, one OIDC client per grant type (password, client credentials). */
    private final Map<OidcClientConfig.Grant.Type, OidcClient> ownClients = new EnumMap<>(OidcClientConfig.Grant.Type.class);

    public KeycloakClient(TokenConfig config, OidcClients oidcClients, ObjectMapper mapper) {
        this.config = config.keycloak();
        this.oidcClients = oidcClients;
        this.mapper = mapper;
        this.http = HttpClient.newBuilder().connectTimeout(this.config.timeout())
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    public boolean configured() {
        return config.url().isPresent();
    }

    private String baseUrl() {
        String base = config.url().orElseThrow(() -> new IllegalStateException("token.keycloak.url is not set"));
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    private String adminUrl() {
        return baseUrl() + "/admin/realms/" + config.realm();
    }

    /** User name and password of a person: the claims of the access token Keycloak issues, or empty when refused. */
    public Optional<JsonNode> passwordGrant(String username, String password) {
        // no grant options: the user's name and password go with each request, never into the client's config
        OidcClient client = ownClient(OidcClientConfig.Grant.Type.PASSWORD);
        return grant("password", client.getTokens(Map.of("username", username, "password", password)))
                .map(tokens -> claims(tokens.getAccessToken()));
    }

    /** A service account: client id and secret; the claims of its access token, or empty when refused. */
    public Optional<JsonNode> clientCredentialsGrant(String clientId, String secret) {
        ServiceAccountClients.Lease lease = serviceAccountClients.lease(clientId, secret, () -> newClient(
                "berth-service-account-" + clientId, OidcClientConfig.Grant.Type.CLIENT, clientId, Optional.of(secret)));
        Optional<Tokens> tokens;
        try {
            tokens = grant("client_credentials", lease.client().getTokens());
        } catch (RuntimeException e) {
            serviceAccountClients.failed(lease);
            throw e;
        }
        if (tokens.isEmpty()) {
            serviceAccountClients.refused(lease);
            return Optional.empty();
        }
        serviceAccountClients.granted(lease);
        return Optional.of(claims(tokens.get().getAccessToken()));
    }

    /** The tokens, empty when Keycloak refused the grant; {@link IdentityProviderUnavailable} when it failed. */
    private Optional<Tokens> grant(String grantType, Uni<Tokens> request) {
        try {
            return Optional.of(request.await().atMost(config.timeout()));
        } catch (OidcClientException e) {
            // oidc-client puts the error response's body in the message (or a fixed text when unreachable)
            if (refusal(e.getMessage())) {
                LOG.debugf("Keycloak refused the %s grant: %s", grantType, e.getMessage());
                if (disabledAccount(e.getMessage())) {
                    // right credentials of a disabled account (Keycloak checks the password first)
                    throw new AuthenticationFailed(AuthenticationFailed.Reason.DISABLED, "Keycloak: account disabled");
                }
                return Optional.empty();
            }
            throw new IdentityProviderUnavailable("Keycloak's token endpoint failed the " + grantType + " grant: "
                    + abbreviate(e.getMessage()), e);
        } catch (TimeoutException e) {
            throw new IdentityProviderUnavailable("Keycloak's token endpoint did not answer within " + config.timeout(), e);
        }
    }

    /** Whether an oidc-client failure is an OAuth 2 error response refusing the grant (wrong credentials and the like). */
    static boolean refusal(String message) {
        if (message == null || !message.startsWith("{")) {
            return false;
        }
        try {
            return REFUSALS.contains(ERROR_BODY.readTree(message).path("error").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** Keycloak's refusal of a disabled user's grant: {@code invalid_grant}, "Account disabled". */
    static boolean disabledAccount(String message) {
        try {
            JsonNode error = ERROR_BODY.readTree(message);
            return "invalid_grant".equals(error.path("error").asText())
                    && error.path("error_description").asText().toLowerCase(java.util.Locale.ROOT).contains("disabled");
        } catch (IOException e) {
            return false;
        }
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }

    private synchronized OidcClient ownClient(OidcClientConfig.Grant.Type grant) {
        return ownClients.computeIfAbsent(grant, g -> newClient("berth-token-service-" + g.getGrantType(), g,
                config.clientId(), config.clientSecret()));
    }

    /** An OIDC client of Keycloak's token endpoint (no discovery: nothing is fetched when it is built). */
    private OidcClient newClient(String id, OidcClientConfig.Grant.Type grant, String clientId, Optional<String> secret) {
        var builder = OidcClientConfig.builder()
                .id(id)
                .tokenPath(baseUrl() + "/realms/" + config.realm() + "/protocol/openid-connect/token")
                .discoveryEnabled(false)
                .clientId(clientId)
                .connectionTimeout(config.timeout())
                // renew the admin token this long before it expires
                .refreshTokenTimeSkew(Duration.ofSeconds(30))
                .grant(grant);
        // client_secret_post, as Keycloak's form: a secret may hold characters that Basic would need encoded
        secret.ifPresent(s -> builder.credentials().clientSecret(s, Secret.Method.POST).end());
        return oidcClients.newClient(builder.build()).await().atMost(config.timeout());
    }

    @PreDestroy
    synchronized void close() {
        serviceAccountClients.closeAll();
        for (OidcClient client : ownClients.values()) {
            try {
                client.close();
            } catch (IOException e) {
                LOG.debugf("closing an OIDC client: %s", e);
            }
        }
        ownClients.clear();
    }

    /** The state of an account, read through the admin API with token-service's own service account. */
    public record Account(boolean exists, boolean enabled, Set<String> roles, Set<String> groups) {
        static final Account MISSING = new Account(false, false, Set.of(), Set.of());
    }

    /** A user of the realm by exact user name. */
    public Account user(String username) {
        JsonNode users = adminGet("/users?exact=true&briefRepresentation=true&username=" + encode(username));
        for (JsonNode user : users) {
            if (username.equalsIgnoreCase(user.path("username").asText())) {
                return account(user.path("id").asText(), user.path("enabled").asBoolean(false));
            }
        }
        return Account.MISSING;
    }

    /** A client's service account by client id; disabled when the client or its service account is. */
    public Account serviceAccount(String clientId) {
        JsonNode clients = adminGet("/clients?clientId=" + encode(clientId));
        for (JsonNode client : clients) {
            if (clientId.equals(client.path("clientId").asText())) {
                if (!client.path("enabled").asBoolean(false) || !client.path("serviceAccountsEnabled").asBoolean(false)) {
                    return new Account(true, false, Set.of(), Set.of());
                }
                JsonNode user = adminGet("/clients/" + client.path("id").asText() + "/service-account-user");
                return account(user.path("id").asText(), user.path("enabled").asBoolean(false));
            }
        }
        return Account.MISSING;
    }

    private Account account(String id, boolean enabled) {
        if (!enabled) {
            return new Account(true, false, Set.of(), Set.of());
        }
        Set<String> roles = new LinkedHashSet<>();
        for (JsonNode role : adminGet("/users/" + id + "/role-mappings/realm/composite")) {
            roles.add(role.path("name").asText());
        }
        Set<String> groups = new LinkedHashSet<>();
        for (JsonNode group : adminGet("/users/" + id + "/groups?briefRepresentation=true")) {
            groups.add(group.path("path").asText());
        }
        return new Account(true, true, roles, groups);
    }

    private JsonNode adminGet(String path) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(adminUrl() + path))
                .header("Authorization", "Bearer " + adminToken(false)).GET());
        if (response.statusCode() == 401) {
            // revoked or expired early (a Keycloak restart): one more try with a new token
            response = send(HttpRequest.newBuilder(URI.create(adminUrl() + path))
                    .header("Authorization", "Bearer " + adminToken(true)).GET());
        }
        if (response.statusCode() != 200) {
            throw new IdentityProviderUnavailable("Keycloak's admin API answered " + response.statusCode() + " to GET "
                    + path + " (does client " + config.clientId() + " have a service account with view-users and view-clients?)", null);
        }
        return json(response.body());
    }

    /** token-service's own access token (client credentials of its confidential client), shared until it nearly expires. */
    private String adminToken(boolean renew) {
        OidcClient client = ownClient(OidcClientConfig.Grant.Type.CLIENT);
        return grant("client_credentials", adminTokens.getTokens(client, Map.of(), renew))
                .orElseThrow(() -> new IdentityProviderUnavailable("token-service's own client " + config.clientId()
                        + " cannot sign in to Keycloak (is token.keycloak.client-secret right?)", null))
                .getAccessToken();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(config.timeout()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IdentityProviderUnavailable("Keycloak cannot be reached: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdentityProviderUnavailable("interrupted while calling Keycloak", e);
        }
    }

    /** The payload of a JWT, without verification (only for tokens straight from Keycloak's token endpoint). */
    JsonNode claims(String jwt) {
        String[] parts = jwt.split("\\.");
        if (parts.length < 2) {
            throw new IdentityProviderUnavailable("Keycloak returned an access token that is not a JWT", null);
        }
        return json(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    private JsonNode json(String text) {
        try {
            return mapper.readTree(text);
        } catch (IOException e) {
            throw new IdentityProviderUnavailable("Keycloak answered with malformed JSON", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
