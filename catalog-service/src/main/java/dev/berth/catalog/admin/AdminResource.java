package dev.berth.catalog.admin;

import dev.berth.catalog.error.ErrorMappers.ErrorBody;
import dev.berth.catalog.visibility.CallerResolver;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "admin")
public class AdminResource {
    private final CallerResolver callers;
    private final RebuildService rebuild;

    public AdminResource(CallerResolver callers, RebuildService rebuild) {
        this.callers = callers;
        this.rebuild = rebuild;
    }

    @POST
    @Path("rebuild")
    @Operation(summary = "Recreate the read model from registry-api's tables",
            description = "One transaction; queries keep seeing the old model until it commits. Admins only "
                    + "(a token granting registry:catalog:*).")
    @APIResponse(responseCode = "200", description = "What was rebuilt and the outbox position it continues from")
    @APIResponse(responseCode = "401", description = "No valid bearer token",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "403", description = "Not an admin",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<RebuildService.Result> rebuild(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        return callers.admin(authorization).flatMap(admin -> rebuild.rebuild());
    }
}
