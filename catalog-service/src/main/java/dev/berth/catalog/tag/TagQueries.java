package dev.berth.catalog.tag;

import dev.berth.catalog.paging.Like;
import dev.berth.catalog.paging.PageRequest;
import dev.berth.catalog.paging.Query;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads of {@code catalog.tag} and what its manifests hold. The caller's visibility is checked by the service. */
@ApplicationScoped
public class TagQueries {
    /** Sort keys of a tag list (each ends in the unique tag name). */
    public static final Map<String, String> SORTS = Map.of(
            "name", "t.name",
            "-name", "t.name desc",
            "pushedAt", "t.pushed_at, t.name",
            "-pushedAt", "t.pushed_at desc, t.name",
            "lastPush", "t.pushed_at, t.name",
            "-lastPush", "t.pushed_at desc, t.name",
            "size", "t.size, t.name",
            "-size", "t.size desc, t.name");
    /** Referrers listed with a tag at most. */
    static final int MAX_REFERRERS = 100;

    private final Pool pool;

    public TagQueries(Pool pool) {
        this.pool = pool;
    }

    public Uni<List<TagSummary>> page(String repository, PageRequest page) {
        String sql = "select " + TagSummary.COLUMNS + " from " + TagSummary.FROM + " where t.repository = $1 order by "
                + page.orderBy() + " limit $2 offset $3";
        return pool.preparedQuery(sql).execute(Tuple.of(repository, page.size(), page.offset())).map(rows -> {
            List<TagSummary> out = new ArrayList<>();
            rows.forEach(row -> out.add(TagSummary.of(row)));
            return out;
        });
    }

    public Uni<Long> count(String repository) {
        return pool.preparedQuery("select count(*) from catalog.tag where repository = $1").execute(Tuple.of(repository))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** The tag with its manifest's content, or null. */
    public Uni<TagDetail> detail(String repository, String tag) {
        String sql = "select " + TagSummary.COLUMNS + ", m.config_digest, m.config_media_type, m.layers, m.annotations, "
                + "c.labels from " + TagSummary.FROM + " where t.repository = $1 and t.name = $2";
        return pool.preparedQuery(sql).execute(Tuple.of(repository, tag)).flatMap(rows -> {
            if (rows.size() == 0) {
                return Uni.createFrom().nullItem();
            }
            Row row = rows.iterator().next();
            TagSummary summary = TagSummary.of(row);
            return referrers(repository, summary.digest()).map(referrers -> new TagDetail(repository, summary.name(),
                    summary.digest(), summary.mediaType(), summary.artifactType(), summary.size(), summary.pushedAt(),
                    summary.pushedBy(), summary.platforms(), row.getString("config_digest"),
                    row.getString("config_media_type"), layers(row.getValue("layers")), map(row.getValue("labels")),
                    map(row.getValue("annotations")), referrers));
        });
    }

    private Uni<List<TagDetail.Referrer>> referrers(String repository, String digest) {
        return pool.preparedQuery("""
                select digest, artifact_type, media_type, size, pushed_at from catalog.referrer
                where repository = $1 and subject = $2 order by pushed_at, digest limit $3
                """).execute(Tuple.of(repository, digest, MAX_REFERRERS)).map(rows -> {
            List<TagDetail.Referrer> out = new ArrayList<>();
            rows.forEach(r -> out.add(new TagDetail.Referrer(r.getString("digest"), r.getString("artifact_type"),
                    r.getString("media_type"), r.getLong("size"), r.getOffsetDateTime("pushed_at"))));
            return out;
        });
    }

    /** Search: tags whose name contains {@code q} in repositories the caller may see, prefix matches first. */
    public Uni<List<TagHit>> search(Caller caller, String q, int limit) {
        // the trigram index finds the names; the few matches are then checked against the caller's regex
        Query query = new Query("select t.repository, t.name, t.digest from catalog.tag t");
        query.where("t.name ilike " + query.param(Like.contains(q)));
        if (!caller.seesAll()) {
            query.where("t.repository ~ " + query.param(caller.visibleRegex()));
        }
        query.then("order by (t.name ilike " + query.param(Like.startsWith(q)) + ") desc, t.repository, t.name limit "
                + query.param(limit));
        return query.execute(pool).map(rows -> {
            List<TagHit> out = new ArrayList<>();
            rows.forEach(r -> out.add(new TagHit(r.getString(0), r.getString(1), r.getString(2))));
            return out;
        });
    }

    /** A tag found by a search. */
    public record TagHit(String repository, String name, String digest) {
    }

    private static List<TagDetail.Layer> layers(Object value) {
        List<TagDetail.Layer> out = new ArrayList<>();
        if (value instanceof JsonArray array) {
            for (Object o : array) {
                if (o instanceof JsonObject layer) {
                    Object size = layer.getValue("size");
                    out.add(new TagDetail.Layer(layer.getString("digest"), layer.getString("mediaType"),
                            size instanceof Number n ? n.longValue() : null));
                }
            }
        }
        return out;
    }

    private static Map<String, Object> map(Object value) {
        return value instanceof JsonObject json ? json.getMap() : Map.of();
    }
}
