package dev.berth.gc.run;

import dev.berth.gc.auth.Admins;
import dev.berth.gc.error.ErrorMappers.ErrorBody;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Garbage collection runs: start one, follow it, list the latest. Admins only (see {@link Admins}). */
@Path("/api/v1/gc/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs")
@APIResponse(responseCode = "401", description = "No valid bearer token",
        content = @Content(schema = @Schema(implementation = ErrorBody.class)))
@APIResponse(responseCode = "403", description = "The token does not grant registry:gc:*",
        content = @Content(schema = @Schema(implementation = ErrorBody.class)))
public class RunResource {
    private final Admins admins;
    private final RunService service;

    public RunResource(Admins admins, RunService service) {
        this.admins = admins;
        this.service = service;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Start a garbage collection run",
            description = "Every worker takes part. collectors: any of retention, untagged, mark, uploads, orphans, "
                    + "links, blobs, objects (default: all; they run in that order). dryRun: report what would be "
                    + "deleted, delete nothing. One run is active at a time.")
    @APIResponse(responseCode = "202", description = "Started; follow it at Location",
            content = @Content(schema = @Schema(implementation = Run.class)))
    @APIResponse(responseCode = "400", description = "Unknown collector or malformed body",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "409", description = "A run is active: its id is in errors[0].detail.id and Location",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> start(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            RunService.RunRequest request) {
        return admins.admin(authorization).chain(subject -> service.start(request, subject.orElse(null)))
                .map(run -> Response.accepted(run).location(URI.create("/api/v1/gc/runs/" + run.id())).build());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A run: state, workers, progress and results per collector")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Run.class)))
    @APIResponse(responseCode = "404", description = "No such run",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Run> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("id") String id) {
        return admins.admin(authorization).chain(subject -> service.get(RunService.runId(id)));
    }

    @GET
    @Operation(summary = "The latest runs, newest first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Run.Page.class)))
    @APIResponse(responseCode = "400", description = "limit out of range",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Run.Page> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Parameter(description = "How many runs (1 to 100)") @QueryParam("limit") @DefaultValue("20") int limit) {
        return admins.admin(authorization).chain(subject -> service.list(limit));
    }
}
