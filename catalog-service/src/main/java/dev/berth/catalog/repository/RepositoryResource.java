package dev.berth.catalog.repository;

import dev.berth.catalog.error.ErrorMappers.ErrorBody;
import dev.berth.catalog.paging.Page;
import dev.berth.catalog.tag.TagDetail;
import dev.berth.catalog.tag.TagService;
import dev.berth.catalog.tag.TagSummary;
import dev.berth.catalog.visibility.CallerResolver;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
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

/**
 * Repositories and their tags. A repository name may hold {@code /}; a path ending in {@code /tags} or
 * {@code /tags/TAG} names the tags of the repository before it (tags never hold {@code /}).
 */
@Path("/api/v1/repositories")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "repositories")
@APIResponse(responseCode = "401", description = "No valid bearer token (the WWW-Authenticate header says where to get one)",
        content = @Content(schema = @Schema(implementation = ErrorBody.class)))
public class RepositoryResource {
    private final CallerResolver callers;
    private final RepositoryService repositories;
    private final TagService tags;

    public RepositoryResource(CallerResolver callers, RepositoryService repositories, TagService tags) {
        this.callers = callers;
        this.repositories = repositories;
        this.tags = tags;
    }

    @GET
    @Operation(summary = "List the repositories the caller may see",
            description = "Paged (page is 1-based; size at most 500), sorted by name, -name, lastPush, -lastPush, size or -size; "
                    + "q keeps the names that contain it.")
    @APIResponse(responseCode = "200", description = "A page of repositories")
    @APIResponse(responseCode = "400", description = "page, size, sort or q out of range",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Page<RepositorySummary>> list(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Parameter(description = "Text the name contains (prefix matches are not treated differently here)") @QueryParam("q") String q,
            @Parameter(description = "Page number, from 1") @QueryParam("page") Integer page,
            @Parameter(description = "Page size, 1 to 500 (default 50)") @QueryParam("size") Integer size,
            @Parameter(description = "name (default), -name, lastPush, -lastPush, size, -size") @QueryParam("sort") String sort) {
        return callers.caller(authorization).flatMap(caller -> repositories.list(caller, q, page, size, sort));
    }

    @GET
    @Path("{name: .+}/tags/{tag: [^/]+}")
    @Operation(summary = "One tag with layers, sizes, platforms, config labels, annotations and referrers")
    @APIResponse(responseCode = "200", description = "The tag")
    @APIResponse(responseCode = "404", description = "Unknown (or invisible) repository, or unknown tag",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<TagDetail> tag(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization, @PathParam("name") String name,
            @PathParam("tag") String tag) {
        return callers.caller(authorization).flatMap(caller -> tags.get(caller, name, tag));
    }

    @GET
    @Path("{name: .+}/tags")
    @Operation(summary = "List the tags of a repository",
            description = "Paged like the repositories; sorted by name (default), -name, pushedAt, -pushedAt, size or -size.")
    @APIResponse(responseCode = "200", description = "A page of tags")
    @APIResponse(responseCode = "404", description = "Unknown (or invisible) repository",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Page<TagSummary>> tags(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("name") String name, @QueryParam("page") Integer page, @QueryParam("size") Integer size,
            @QueryParam("sort") String sort) {
        return callers.caller(authorization).flatMap(caller -> tags.list(caller, name, page, size, sort));
    }

    @GET
    @Path("{name: .+}")
    @Operation(summary = "One repository")
    @APIResponse(responseCode = "200", description = "The repository")
    @APIResponse(responseCode = "404", description = "Unknown (or invisible) repository",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<RepositorySummary> get(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("name") String name) {
        return callers.caller(authorization).flatMap(caller -> repositories.get(caller, name));
    }
}
