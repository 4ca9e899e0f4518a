package dev.berth.registry.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.registry.http.Pagination;
import dev.berth.registry.http.Responses;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v2/_catalog}: repository names with {@code n}/{@code last} pagination. Answered from the
 * registry schema until catalog-service takes the read model over (a later issue).
 */
@ApplicationScoped
public class CatalogResource {
    private final ImageRepositoryRepository repositories;
    private final Pagination pagination;
    private final ObjectMapper mapper;

    public CatalogResource(ImageRepositoryRepository repositories, Pagination pagination, ObjectMapper mapper) {
        this.repositories = repositories;
        this.pagination = pagination;
        this.mapper = mapper;
    }

    public Uni<Void> list(RoutingContext ctx) {
        Pagination.Page page = pagination.parse(ctx.request());
        return Panache.withSession(() -> page.size() == 0
                ? Uni.createFrom().item(List.<String>of())
                : repositories.namesAfter(page.last(), page.size() + 1))
                .chain(names -> {
                    pagination.link(ctx.response(), "/v2/_catalog", names, page);
                    try {
                        byte[] bytes = mapper.writeValueAsBytes(Map.of("repositories", pagination.trim(names, page)));
                        ctx.response().putHeader("Content-Type", "application/json")
                                .putHeader("Content-Length", String.valueOf(bytes.length));
                        return Responses.uni(ctx.response().end(Buffer.buffer(bytes)));
                    } catch (Exception e) {
                        return Uni.createFrom().failure(e);
                    }
                });
    }
}
