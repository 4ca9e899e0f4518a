package dev.berth.token.endpoint;

import dev.berth.token.identity.Identity;
import dev.berth.token.keys.SigningKeys;
import dev.berth.token.policy.AccessPolicy;
import dev.berth.token.refresh.RefreshTokens;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * Administration, for holders of the admin role (Basic credentials, checked like any login):
 * {@code POST /api/v1/keys/rotate} and {@code DELETE /api/v1/users/{username}/refresh-tokens}.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {
    private final TokenResource tokens;
    private final AccessPolicy policy;
    private final SigningKeys keys;
    private final RefreshTokens refreshTokens;

    public AdminResource(TokenResource tokens, AccessPolicy policy, SigningKeys keys, RefreshTokens refreshTokens) {
        this.tokens = tokens;
        this.policy = policy;
        this.keys = keys;
        this.refreshTokens = refreshTokens;
    }

    @POST
    @Path("/keys/rotate")
    public Response rotate(@HeaderParam("Authorization") String authorization, @Context HttpServerRequest request) {
        return asAdmin(authorization, request, () -> {
            SigningKeys.Key key = keys.rotate();
            return Response.ok(Map.of("active", key.kid(), "published",
                    keys.published().stream().map(SigningKeys.Key::kid).toList())).build();
        });
    }

    @DELETE
    @Path("/users/{username}/refresh-tokens")
    public Response revokeAll(@PathParam("username") String username, @HeaderParam("Authorization") String authorization,
            @Context HttpServerRequest request) {
        return asAdmin(authorization, request, () -> Response.ok(Map.of("revoked", refreshTokens.revokeAll(username))).build());
    }

    private Response asAdmin(String authorization, HttpServerRequest request, java.util.function.Supplier<Response> work) {
        Identity identity;
        try {
            identity = tokens.basicLogin(authorization, request);
        } catch (RuntimeException e) {
            return TokenResource.failure(e);
        }
        if (!identity.roles().contains(policy.document().adminRole)) {
            return Response.status(403).entity(Map.of("errors", List.of(Map.of("code", "DENIED",
                    "message", "only holders of the role " + policy.document().adminRole + " may do this")))).build();
        }
        return work.get();
    }

}
