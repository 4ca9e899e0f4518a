package dev.berth.core.event;

import java.util.Arrays;
import java.util.List;

/**
 * How every writer appends events to the registry's outbox (registry-api's changes, gc-worker's deletions): one
 * statement for all events of a change, its parameters one array per column, unnested in step. Rows are written
 * with position null; registry-api's relay positions and publishes them. Run {@link #SQL} with {@link #parameters}
 * (Java arrays, which the reactive PostgreSQL client binds as arrays) in the change's own transaction.
 */
public final class OutboxInsert {

    /*
     * Rows are inserted in list order (the order by makes the sequence follow it). Platforms travel as one
     * comma-joined string per event (unnest would flatten an array of arrays); os/arch/variant never contain a comma.
     */
    public static final String SQL = "insert into outbox (version, event_type, repository, digest, tag, media_type, "
            + "artifact_type, size, platforms, subject, actor) "
            + "select e.v, e.t, e.r, e.d, e.g, e.m, e.a, e.s, string_to_array(e.p, ','), e.j, e.c "
            + "from unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
            + "$8::int8[], $9::text[], $10::text[], $11::text[]) with ordinality e(v, t, r, d, g, m, a, s, p, j, c, o) "
            + "order by e.o";

    private OutboxInsert() {
    }

    /**
     * The eleven parameters of {@link #SQL} for {@code events}, in order: {@code Integer[]} versions, {@code String[]}
     * types, repositories, digests, tags, media types, artifact types, {@code Long[]} sizes, {@code String[]}
     * platforms, subjects, actors.
     */
    public static List<Object> parameters(List<RegistryEvent> events) {
        int n = events.size();
        Integer[] versions = new Integer[n];
        String[] types = new String[n];
        String[] repositories = new String[n];
        String[] digests = new String[n];
        String[] tags = new String[n];
        String[] mediaTypes = new String[n];
        String[] artifactTypes = new String[n];
        Long[] sizes = new Long[n];
        String[] platforms = new String[n];
        String[] subjects = new String[n];
        String[] actors = new String[n];
        for (int i = 0; i < n; i++) {
            RegistryEvent e = events.get(i);
            versions[i] = e.version();
            types[i] = e.type();
            repositories[i] = e.repository();
            digests[i] = e.digest();
            tags[i] = e.tag();
            mediaTypes[i] = e.mediaType();
            artifactTypes[i] = e.artifactType();
            sizes[i] = e.size();
            platforms[i] = e.platforms().isEmpty() ? null : String.join(",", e.platforms());
            subjects[i] = e.subject();
            actors[i] = e.actor();
        }
        return Arrays.asList(versions, types, repositories, digests, tags, mediaTypes, artifactTypes, sizes, platforms,
                subjects, actors);
    }
}
