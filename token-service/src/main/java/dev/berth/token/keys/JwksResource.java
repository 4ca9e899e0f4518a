package dev.berth.token.keys;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code GET /.well-known/jwks.json}: the public signing keys (the active one and recently retired ones). */
@Path("/.well-known/jwks.json")
public class JwksResource {
    private final SigningKeys keys;

    public JwksResource(SigningKeys keys) {
        this.keys = keys;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response jwks() {
        CacheControl cache = new CacheControl();
        cache.setMaxAge(60);
        return Response.ok(keys.jwks()).cacheControl(cache).build();
    }
}
