package dev.berth.catalog.search;

import dev.berth.catalog.error.ErrorMappers.ErrorBody;
import dev.berth.catalog.visibility.CallerResolver;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/search")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "search")
public class SearchResource {
    private final CallerResolver callers;
    private final SearchService search;

    public SearchResource(CallerResolver callers, SearchService search) {
        this.callers = callers;
        this.search = search;
    }

    @GET
    @Operation(summary = "Search repositories and tags by name",
            description = "Names containing q (case-insensitive), those starting with it first; at most limit of each (default 20, max 100).")
    @APIResponse(responseCode = "200", description = "The repositories and tags found")
    @APIResponse(responseCode = "400", description = "q missing or too long, limit out of range",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "401", description = "No valid bearer token",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<SearchResult> search(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Parameter(description = "Search text (1 to 128 characters)", required = true) @QueryParam("q") String q,
            @Parameter(description = "Results of each kind at most (1 to 100, default 20)") @QueryParam("limit") Integer limit) {
        return callers.caller(authorization).flatMap(caller -> search.search(caller, q, limit));
    }
}
