package dev.berth.registry.referrer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.http.Responses;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code GET /v2/<name>/referrers/<digest>}: an OCI image index of the manifests whose {@code subject}
 * is the digest, empty (never 404) when there are none.
 */
@ApplicationScoped
public class ReferrerResource {
    private final ReferrerRepository referrers;
    private final ObjectMapper mapper;
    private final Pool sql;

    public ReferrerResource(ReferrerRepository referrers, ObjectMapper mapper, Pool sql) {
        this.referrers = referrers;
        this.mapper = mapper;
        this.sql = sql;
    }

    public Uni<Void> list(RoutingContext ctx, RepositoryName name, Digest subject) {
        String artifactType = ctx.request().getParam("artifactType");
        String filter = artifactType == null || artifactType.isEmpty() ? null : artifactType;
        // one read-only statement: on the pool
        return referrers.referrers(sql, name.value(), subject.toString(), filter)
                .chain(found -> {
                    ObjectNode index = mapper.createObjectNode();
                    index.put("schemaVersion", 2);
                    index.put("mediaType", MediaTypes.OCI_INDEX);
                    ArrayNode list = index.putArray("manifests");
                    for (ReferrerRepository.Referrer m : found) {
                        ObjectNode d = list.addObject();
                        d.put("mediaType", m.mediaType());
                        d.put("digest", m.digest());
                        d.put("size", m.size());
                        if (m.artifactType() != null) {
                            d.put("artifactType", m.artifactType());
                        }
                        if (m.annotations() != null) {
                            try {
                                d.set("annotations", mapper.readTree(m.annotations()));
                            } catch (Exception e) {
                                throw new IllegalStateException("stored annotations are not JSON", e);
                            }
                        }
                    }
                    if (filter != null) {
                        ctx.response().putHeader("OCI-Filters-Applied", "artifactType");
                    }
                    byte[] bytes;
                    try {
                        bytes = mapper.writeValueAsBytes(index);
                    } catch (Exception e) {
                        return Uni.createFrom().failure(e);
                    }
                    ctx.response().putHeader("Content-Type", MediaTypes.OCI_INDEX)
                            .putHeader("Content-Length", String.valueOf(bytes.length));
                    return Responses.uni(ctx.response().end(Buffer.buffer(bytes)));
                });
    }
}
