package dev.berth.registry.tag;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.Pagination;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /v2/<name>/tags/list} with {@code n}/{@code last} pagination and a {@code Link} header. */
@ApplicationScoped
public class TagResource {
    private final TagRepository tags;
    private final Pagination pagination;
    private final ObjectMapper mapper;
    private final Pool sql;

    public TagResource(TagRepository tags, Pagination pagination, ObjectMapper mapper, Pool sql) {
        this.tags = tags;
        this.pagination = pagination;
        this.mapper = mapper;
        this.sql = sql;
    }

    public Uni<Void> list(RoutingContext ctx, RepositoryName name, boolean head) {
        Pagination.Page page = pagination.parse(ctx.request());
        // one read-only statement (also telling whether the repository exists): on the pool
        return tags.namesAfter(sql, name.value(), page.last(), page.size() == 0 ? 0 : page.size() + 1)
                .onItem().ifNull().failWith(() -> RegistryException.nameUnknown(name))
                .chain(names -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("name", name.value());
                    body.put("tags", pagination.trim(names, page));
                    pagination.link(ctx.response(), "/v2/" + name + "/tags/list", names, page);
                    return writeJson(ctx, body, head);
                });
    }

    private Uni<Void> writeJson(RoutingContext ctx, Object body, boolean head) {
        try {
            byte[] bytes = mapper.writeValueAsBytes(body);
            ctx.response().putHeader("Content-Type", "application/json")
                    .putHeader("Content-Length", String.valueOf(bytes.length));
            return Responses.uni(head ? ctx.response().end() : ctx.response().end(Buffer.buffer(bytes)));
        } catch (Exception e) {
            return Uni.createFrom().failure(e);
        }
    }
}
