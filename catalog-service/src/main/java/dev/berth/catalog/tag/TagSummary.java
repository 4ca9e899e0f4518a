package dev.berth.catalog.tag;

import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/**
 * A tag as the catalog lists it. {@code size}: the manifest, its config and layers (for an index: the index and
 * the distinct blobs of its children). {@code platforms}: {@code os/arch[/variant]} of an index's children, or
 * the image config's platform once known.
 */
public record TagSummary(String name, String digest, String mediaType, String artifactType, long size,
        OffsetDateTime pushedAt, String pushedBy, List<String> platforms) {

    static final String COLUMNS = """
            t.name, t.digest, t.media_type, t.artifact_type, t.size, t.pushed_at, t.pushed_by,
            case when cardinality(t.platforms) > 0 or c.platform is null then t.platforms else array[c.platform] end as platforms""";
    static final String FROM = """
            catalog.tag t join catalog.manifest m on m.repository = t.repository and m.digest = t.digest
            left join catalog.config_info c on c.digest = m.config_digest""";

    static TagSummary of(Row row) {
        String[] platforms = row.getArrayOfStrings("platforms");
        return new TagSummary(row.getString("name"), row.getString("digest"), row.getString("media_type"),
                row.getString("artifact_type"), row.getLong("size"), row.getOffsetDateTime("pushed_at"),
                row.getString("pushed_by"), platforms == null ? List.of() : Arrays.asList(platforms));
    }
}
