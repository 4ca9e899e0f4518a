package dev.berth.registry.outbox;

import dev.berth.core.event.RegistryEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * The one writer of the outbox: services append the events of a change in that change's transaction (callers pass
 * its {@link SqlClient}), so an event exists exactly when its change committed. Rows are written without a position;
 * the relay assigns positions in commit order and publishes them.
 */
@ApplicationScoped
public class OutboxRepository {

    /*
     * All events of a change in one statement: one array per column, unnested in step. Rows are inserted in list
     * order (the order by makes the sequence follow it). Platforms travel as one comma-joined string per event
     * (unnest would flatten an array of arrays); os/arch/variant never contain a comma.
     */
    private static final String APPEND = "insert into outbox (version, event_type, repository, digest, tag, media_type, "
            + "artifact_type, size, platforms, subject, actor) "
            + "select e.v, e.t, e.r, e.d, e.g, e.m, e.a, e.s, string_to_array(e.p, ','), e.j, e.c "
            + "from unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
            + "$8::int8[], $9::text[], $10::text[], $11::text[]) with ordinality e(v, t, r, d, g, m, a, s, p, j, c, o) "
            + "order by e.o";

    /** Appends {@code events} (written with position null) in the transaction of {@code tx}; nothing for none. */
    public Uni<Void> append(SqlClient tx, List<RegistryEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
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
        Tuple params = Tuple.tuple().addArrayOfInteger(versions).addArrayOfString(types).addArrayOfString(repositories)
                .addArrayOfString(digests).addArrayOfString(tags).addArrayOfString(mediaTypes)
                .addArrayOfString(artifactTypes).addArrayOfLong(sizes).addArrayOfString(platforms)
                .addArrayOfString(subjects).addArrayOfString(actors);
        return tx.preparedQuery(APPEND).execute(params).replaceWithVoid();
    }
}
