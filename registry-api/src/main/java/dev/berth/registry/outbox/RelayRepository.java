package dev.berth.registry.outbox;

import dev.berth.core.event.RegistryEvent;
import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/**
 * The SQL of the outbox relay: the lease row {@code outbox_relay}, the positioning of outbox rows, and pruning.
 * Times are the database's ({@code clock_timestamp()}), so the replicas' clocks never have to agree.
 */
@ApplicationScoped
public class RelayRepository {

    /**
     * Takes or renews the lease for {@code holder}: succeeds when the row is free, expired, or held by
     * {@code holder} already. One statement, so two replicas racing for an expired lease serialise on the row
     * and the second sees the first one's lease.
     */
    public Uni<Boolean> renewLease(SqlClient sql, String holder, Duration lease) {
        return sql.preparedQuery("update outbox_relay set holder = $1, "
                + "lease_until = clock_timestamp() + $2::bigint * interval '1 millisecond' "
                + "where id = 1 and (holder = $1 or holder is null or lease_until is null "
                + "or lease_until <= clock_timestamp()) returning holder")
                .execute(Tuple.of(holder, lease.toMillis()))
                .map(rows -> rows.rowCount() == 1);
    }

    /** Gives the lease up, if {@code holder} has it, so that another replica takes over without waiting. */
    public Uni<Boolean> releaseLease(SqlClient sql, String holder) {
        return sql.preparedQuery("update outbox_relay set holder = null, lease_until = null where id = 1 and holder = $1")
                .execute(Tuple.of(holder))
                .map(rows -> rows.rowCount() == 1);
    }

    /**
     * In the caller's transaction: locks the relay row ({@code for update}, held to the commit) if
     * {@code holder} has a valid lease, and returns the next position to assign; {@code null} when another
     * replica holds the lease or it expired. The lock is what makes positions unique and gapless even if two
     * replicas believed themselves the relay: their rounds run one after the other.
     */
    public Uni<Long> lockForRound(SqlClient tx, String holder) {
        return tx.preparedQuery("select next_position from outbox_relay "
                + "where id = 1 and holder = $1 and lease_until > clock_timestamp() for update")
                .execute(Tuple.of(holder))
                .map(rows -> SqlRows.firstOrNull(rows, row -> row.getLong(0)));
    }

    /**
     * In the transaction of {@link #lockForRound}: gives the oldest {@code limit} unpositioned rows the
     * positions {@code next, next + 1, …} in sequence order, advances {@code next_position} past them, and
     * returns them in position order.
     *
     * <p>Only rows whose transactions have committed are visible here; a row of a transaction still open
     * (even one with a lower sequence) is positioned by a later round, after the ones committed before it.
     * So positions follow the order in which rows became visible, and a reader of "position > last" never
     * skips one.
     */
    public Uni<List<Positioned>> position(SqlClient tx, long next, int limit) {
        return tx.preparedQuery("with batch as (select sequence, row_number() over (order by sequence) as n "
                + "from (select sequence from outbox where position is null order by sequence limit $2) pending), "
                + "positioned as (update outbox o set position = $1 + b.n - 1 from batch b where o.sequence = b.sequence "
                + "returning o.position, o.version, o.event_type, o.occurred_at, o.repository, o.digest, o.tag, "
                + "o.media_type, o.artifact_type, o.size, o.platforms, o.subject, o.actor), "
                + "advanced as (update outbox_relay set next_position = $1 + (select count(*) from positioned) where id = 1) "
                + "select * from positioned order by position")
                .execute(Tuple.of(next, limit))
                .map(rows -> SqlRows.list(rows, RelayRepository::positioned));
    }

    /** Whether any row waits for a position (the partial index {@code outbox_unpositioned} answers it). */
    public Uni<Boolean> hasUnpositioned(SqlClient sql) {
        return sql.preparedQuery("select exists (select 1 from outbox where position is null)")
                .execute()
                .map(rows -> rows.iterator().next().getBoolean(0));
    }

    /** How many rows wait for a position. */
    public Uni<Long> unpositioned(SqlClient sql) {
        return sql.preparedQuery("select count(*) from outbox where position is null")
                .execute()
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /**
     * Deletes up to {@code limit} published rows, oldest position first, that are older than {@code retention}
     * and below the lowest position any registered consumer ({@code outbox_consumer}) reported; with no
     * consumer registered, age alone decides. Rows without a position are never pruned. Returns how many.
     */
    public Uni<Integer> prune(SqlClient sql, Duration retention, int limit) {
        return sql.preparedQuery("delete from outbox where sequence in (select sequence from outbox "
                + "where position is not null and occurred_at < clock_timestamp() - $1::bigint * interval '1 millisecond' "
                + "and position < coalesce((select min(position) from outbox_consumer), 9223372036854775807) "
                + "order by position limit $2)")
                .execute(Tuple.of(retention.toMillis(), limit))
                .map(rows -> rows.rowCount());
    }

    /**
     * A row that was given a position, with its event; or, for a row this version cannot read as an event (a
     * type it does not know), {@code invalid}: the row keeps its position (consumers find it in the outbox),
     * it just cannot be published from here. Never a reason to roll the positions back.
     */
    public record Positioned(long position, RegistryEvent event, RuntimeException invalid) {
    }

    private static Positioned positioned(Row row) {
        long position = row.getLong("position");
        try {
            return new Positioned(position, event(row), null);
        } catch (RuntimeException e) {
            return new Positioned(position, null, e);
        }
    }

    private static RegistryEvent event(Row row) {
        OffsetDateTime time = row.getOffsetDateTime("occurred_at");
        String[] platforms = row.getArrayOfStrings("platforms");
        return new RegistryEvent(row.getInteger("version"), row.getLong("position"), row.getString("event_type"),
                time == null ? null : time.toInstant(), row.getString("repository"), row.getString("digest"),
                row.getString("tag"), row.getString("media_type"), row.getString("artifact_type"), row.getLong("size"),
                platforms == null ? List.of() : Arrays.asList(platforms), row.getString("subject"), row.getString("actor"));
    }
}
