package dev.berth.devtools.keycloak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Small admin-API helpers for tests: tokens, enabling and disabling users of the Berth realm. */
public final class KeycloakAdmin {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    private final String url;
    private final String adminPassword;

    /** @param url {@code http://127.0.0.1:PORT} of a Keycloak started by {@link KeycloakServer} */
    public KeycloakAdmin(String url, String adminPassword) {
        this.url = url;
        this.adminPassword = adminPassword;
    }

    public KeycloakAdmin(String url) {
        this(url, KeycloakServer.ADMIN_PASSWORD_DEFAULT);
    }


    /** A master-realm admin access token (admin-cli password grant). */
    public String adminToken() {
        return accessToken(url + "/realms/master/protocol/openid-connect/token", Map.of(
                "grant_type", "password", "client_id", "admin-cli", "username", KeycloakServer.ADMIN_USER, "password", adminPassword));
    }

    /** An access token of a confidential client of the Berth realm (client-credentials grant). */
    public String clientCredentialsToken(String clientId, String secret) {
        return accessToken(url + "/realms/" + KeycloakServer.REALM + "/protocol/openid-connect/token", Map.of("grant_type", "client_credentials", "client_id", clientId,
                "client_secret", secret));
    }

    /** Enables or disables a user of the Berth realm through the admin API. */
    public void setUserEnabled(String username, boolean enabled) {
        String token = adminToken();
        String users = send(HttpRequest.newBuilder(URI.create(url + "/admin/realms/" + KeycloakServer.REALM + "/users?exact=true&username="
                + URLEncoder.encode(username, StandardCharsets.UTF_8))).header("Authorization", "Bearer " + token).GET(), 200);
        Matcher id = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(users);
        if (!id.find()) {
            throw new IllegalStateException("no user " + username + " in realm " + KeycloakServer.REALM + ": " + users);
        }
        send(HttpRequest.newBuilder(URI.create(url + "/admin/realms/" + KeycloakServer.REALM + "/users/" + id.group(1)))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"enabled\":" + enabled + "}")), 204);
    }

    private static String accessToken(String endpoint, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        String response = send(HttpRequest.newBuilder(URI.create(endpoint))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)), 200);
        Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(response);
        if (!m.find()) {
            throw new IllegalStateException("no access_token from " + endpoint + ": " + response);
        }
        return m.group(1);
    }

    private static String send(HttpRequest.Builder request, int expected) {
        HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
        try {
            HttpResponse<String> response = HTTP.send(built, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new IllegalStateException(built.method() + " " + built.uri() + " -> " + response.statusCode() + ": "
                        + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
