package dev.berth.registry.repository;

import dev.berth.core.name.RepositoryName;
import dev.berth.registry.http.Caller;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code DELETE /api/v1/repositories/<name>}: deletes a repository with everything in it (not part of the OCI
 * API, which has no repository delete). Needs {@code delete} on the repository.
 */
@ApplicationScoped
public class RepositoryResource {
    private final RepositoryService repositories;

    public RepositoryResource(RepositoryService repositories) {
        this.repositories = repositories;
    }

    public Uni<Void> delete(RoutingContext ctx, RepositoryName name) {
        return repositories.delete(name, Caller.subject(ctx)).chain(() -> {
            ctx.response().setStatusCode(204);
            return Responses.uni(ctx.response().end());
        });
    }
}
