package dev.berth.token.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.token.config.TokenConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Keycloak's token endpoint and admin API, through a plain HTTP client (called on worker threads):
 * the password grant through token-service's confidential client, the client-credentials grant of a
 * service account, and account look-ups (enabled? roles? groups?) when a refresh token is used.
 * Tokens obtained here come straight from Keycloak's token endpoint, so their claims are read without
 * verifying the signature again.
 */
@ApplicationScoped
public class KeycloakClient {
    private static final Logger LOG = Logger.getLogger(KeycloakClient.class);

    private final TokenConfig.Keycloak config;
    private final ObjectMapper mapper;
    private final HttpClient http;
    private volatile String adminToken;
    private volatile Instant adminTokenExpires = Instant.EPOCH;

    public KeycloakClient(TokenConfig config, ObjectMapper mapper) {
        this.config = config.keycloak();
        this.mapper = mapper;
        this.http = HttpClient.newBuilder().connectTimeout(this.config.timeout())
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    public boolean configured() {
        return config.url().isPresent();
    }

    private String realmUrl() {
        String base = config.url().orElseThrow(() -> new IllegalStateException("token.keycloak.url is not set"));
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/realms/" + config.realm();
    }

    private String adminUrl() {
        String base = config.url().orElseThrow();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/admin/realms/" + config.realm();
    }

    /** User name and password of a person: the claims of the access token Keycloak issues, or empty when refused. */
    public Optional<JsonNode> passwordGrant(String username, String password) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", config.clientId());
        config.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
        form.put("username", username);
        form.put("password", password);
        return tokenRequest(form);
    }

    /** A service account: client id and secret; the claims of its access token, or empty when refused. */
    public Optional<JsonNode> clientCredentialsGrant(String clientId, String secret) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", clientId);
        form.put("client_secret", secret);
        return tokenRequest(form);
    }

    private Optional<JsonNode> tokenRequest(Map<String, String> form) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(realmUrl() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form))));
        int status = response.statusCode();
        if (status == 200) {
            JsonNode body = json(response.body());
            return Optional.of(claims(body.path("access_token").asText()));
        }
        if (status == 400 || status == 401) {
            // invalid_grant (wrong password, disabled or unknown user), invalid_client, unauthorized_client
            LOG.debugf("Keycloak refused the %s grant: %s", form.get("grant_type"), response.body());
            return Optional.empty();
        }
        throw new IdentityProviderUnavailable("Keycloak's token endpoint answered " + status, null);
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
                .header("Authorization", "Bearer " + adminToken()).GET());
        if (response.statusCode() == 401) {
            adminTokenExpires = Instant.EPOCH;
            response = send(HttpRequest.newBuilder(URI.create(adminUrl() + path))
                    .header("Authorization", "Bearer " + adminToken()).GET());
        }
        if (response.statusCode() != 200) {
            throw new IdentityProviderUnavailable("Keycloak's admin API answered " + response.statusCode() + " to GET "
                    + path + " (does client " + config.clientId() + " have a service account with view-users and view-clients?)", null);
        }
        return json(response.body());
    }

    private String adminToken() {
        if (adminToken != null && Instant.now().isBefore(adminTokenExpires)) {
            return adminToken;
        }
        synchronized (this) {
            if (adminToken != null && Instant.now().isBefore(adminTokenExpires)) {
                return adminToken;
            }
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "client_credentials");
            form.put("client_id", config.clientId());
            config.clientSecret().ifPresent(secret -> form.put("client_secret", secret));
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(realmUrl() + "/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(formBody(form))));
            if (response.statusCode() != 200) {
                throw new IdentityProviderUnavailable("token-service's own client " + config.clientId()
                        + " cannot sign in to Keycloak (status " + response.statusCode() + ")", null);
            }
            JsonNode body = json(response.body());
            adminToken = body.path("access_token").asText();
            adminTokenExpires = Instant.now().plusSeconds(Math.max(5, body.path("expires_in").asLong(60) - 30));
            return adminToken;
        }
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

    private static String formBody(Map<String, String> form) {
        return form.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
