package dev.berth.registry.repository;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.registry.http.Pagination;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
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
    private final Pool sql;

    public CatalogResource(ImageRepositoryRepository repositories, Pagination pagination, ObjectMapper mapper, Pool sql) {
        this.repositories = repositories;
        this.pagination = pagination;
        this.mapper = mapper;
        this.sql = sql;
    }

    public Uni<Void> list(RoutingContext ctx) {
        Pagination.Page page = pagination.parse(ctx.request());
        // one read-only statement: on the pool, outside any transaction
        Uni<List<String>> found = page.size() == 0
                ? Uni.createFrom().item(List.<String>of())
                : repositories.namesAfter(sql, page.last(), page.size() + 1);
        return found.chain(names -> {
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
