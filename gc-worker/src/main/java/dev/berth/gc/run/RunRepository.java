package dev.berth.gc.run;

import dev.berth.gc.sql.Transactions;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The runs in schema {@code gc}: plain SQL. The API's statements are reactive; the worker's ({@code join},
 * {@code claim}, {@code report}, {@code complete} ...) are awaited on the worker's own thread or a collector's.
 *
 * <p>Coordination without a leader: one active run (unique index {@code run_one_active}); a worker takes part with
 * a {@code run_worker} row it keeps alive (heartbeat); a SINGLE collector is claimed on its {@code run_step} row,
 * and a claim of a worker whose heartbeat is older than the lease can be taken over; whoever finds the run's work
 * done (every step finished, no live worker still busy) completes it, under the run row's lock.
 */
@ApplicationScoped
public class RunRepository {
    private static final Duration TIMEOUT = Transactions.STATEMENT_TIMEOUT;
    /** The advisory lock that serializes scheduled run creation across workers. */
    private static final long SCHEDULE_LOCK = 0x6763_7275_6e73L; // "gcruns"

    private static final String SELECT_RUN = """
            select r.id, r.state, r.dry_run, r.collectors, r.trigger, r.requested_by, r.created_at, r.finished_at,
                   r.error,
                   (select coalesce(json_agg(json_build_object('name', w.worker,
                            'heartbeatAt', (extract(epoch from w.heartbeat_at) * 1000)::bigint,
                            'finishedAt', (extract(epoch from w.finished_at) * 1000)::bigint) order by w.worker), '[]')
                      from run_worker w where w.run_id = r.id) as workers,
                   (select coalesce(json_object_agg(s.collector, s.progress), '{}')
                      from run_step s where s.run_id = r.id and s.progress is not null) as progress,
                   (select coalesce(json_object_agg(x.collector, json_build_object('objects', x.objects,
                            'bytes', x.bytes, 'errors', x.errors, 'lastError', x.last_error)), '{}')
                      from run_result x where x.run_id = r.id) as results
              from run r
            """;

    private final Pool pool;

    public RunRepository(Pool pool) {
        this.pool = pool;
    }

    public Pool pool() {
        return pool;
    }

    /** A run to create. */
    public record NewRun(UUID id, boolean dryRun, List<String> collectors, String trigger, String requestedBy) {
    }

    /**
     * Only when no run of {@code triggers} was created within {@code within} (scheduled runs: one per period
     * whichever worker's timer fires first).
     */
    public record Recency(List<String> triggers, Duration within) {
    }

    /** The outcome of {@link #create}: the new run's id, or the active run's id, or neither (not due, or the
     *  active run ended in between). */
    public record Created(UUID created, UUID active) {
    }

    /**
     * Creates a run with its steps and empty results unless one is active ({@code active} set) or, with
     * {@code recency}, one of those triggers started within the period (neither set). With a recency the check and
     * the insert hold an advisory lock, so that workers creating scheduled runs at once see each other's.
     */
    public Uni<Created> create(NewRun run, Recency recency) {
        String[] collectors = run.collectors().toArray(String[]::new);
        return pool.withTransaction(connection -> {
            Uni<Boolean> recent = recency == null ? Uni.createFrom().item(false)
                    : connection.preparedQuery("select pg_advisory_xact_lock($1)").execute(Tuple.of(SCHEDULE_LOCK))
                            .chain(() -> connection.preparedQuery("select exists (select 1 from run where trigger = any($1) "
                                    + "and created_at > now() - make_interval(secs => $2)) as recent")
                                    .execute(Tuple.of(recency.triggers().toArray(String[]::new),
                                            recency.within().toMillis() / 1000.0)))
                            .map(rows -> rows.iterator().next().getBoolean("recent"));
            return recent.chain(skip -> skip ? Uni.createFrom().item(new Created(null, null))
                    : insert(connection, run, collectors));
        });
    }

    private Uni<Created> insert(io.vertx.mutiny.sqlclient.SqlConnection connection, NewRun run, String[] collectors) {
        return connection.preparedQuery("insert into run (id, state, dry_run, collectors, trigger, requested_by) "
                + "values ($1, 'running', $2, $3, $4, $5) on conflict do nothing")
                .execute(Tuple.of(run.id(), run.dryRun(), collectors, run.trigger(), run.requestedBy()))
                .chain(inserted -> {
                    if (inserted.rowCount() == 1) {
                        return connection.preparedQuery(
                                "insert into run_step (run_id, collector) select $1, unnest($2::text[])")
                                .execute(Tuple.of(run.id(), collectors))
                                .chain(() -> connection.preparedQuery(
                                        "insert into run_result (run_id, collector) select $1, unnest($2::text[])")
                                        .execute(Tuple.of(run.id(), collectors)))
                                .replaceWith(new Created(run.id(), null));
                    }
                    return connection.query("select id from run where state = 'running'").execute()
                            .map(active -> new Created(null,
                                    active.size() == 0 ? null : active.iterator().next().getUUID("id")));
                });
    }

    public Uni<Optional<Run>> find(UUID id) {
        return pool.preparedQuery(SELECT_RUN + " where r.id = $1").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toRun(rows.iterator().next())));
    }

    /** The newest {@code limit} runs, newest first. */
    public Uni<List<Run>> list(int limit) {
        return pool.preparedQuery(SELECT_RUN + " order by r.created_at desc, r.id limit $1").execute(Tuple.of(limit))
                .map(RunRepository::toRuns);
    }

    private static List<Run> toRuns(RowSet<Row> rows) {
        List<Run> runs = new ArrayList<>(rows.size());
        rows.forEach(row -> runs.add(toRun(row)));
        return runs;
    }

    private static Run toRun(Row row) {
        List<String> collectors = Arrays.asList(row.getArrayOfStrings("collectors"));
        List<Run.Worker> workers = new ArrayList<>();
        JsonArray workerJson = (JsonArray) row.getValue("workers");
        for (int i = 0; i < workerJson.size(); i++) {
            JsonObject w = workerJson.getJsonObject(i);
            workers.add(new Run.Worker(w.getString("name"), instant(w.getLong("heartbeatAt")),
                    instant(w.getLong("finishedAt"))));
        }
        JsonObject progressJson = (JsonObject) row.getValue("progress");
        JsonObject resultJson = (JsonObject) row.getValue("results");
        Map<String, String> progress = new LinkedHashMap<>();
        Map<String, Run.Result> results = new LinkedHashMap<>();
        // in run order, so that the JSON reads like the run went
        for (String collector : collectors) {
            if (progressJson.containsKey(collector)) {
                progress.put(collector, progressJson.getString(collector));
            }
            JsonObject r = resultJson.getJsonObject(collector);
            if (r != null) {
                results.put(collector, new Run.Result(r.getLong("objects"), r.getLong("bytes"), r.getLong("errors"),
                        r.getString("lastError")));
            }
        }
        return new Run(row.getUUID("id"), row.getString("state"), row.getBoolean("dry_run"), collectors,
                row.getString("trigger"), row.getString("requested_by"), row.getOffsetDateTime("created_at").toInstant(),
                Optional.ofNullable(row.getOffsetDateTime("finished_at")).map(t -> t.toInstant()).orElse(null), workers,
                progress, results, row.getString("error"));
    }

    private static Instant instant(Long millis) {
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    // ---- the worker's side: awaited statements on the worker's (or a collector's) thread ----

    /** A running run as a worker needs it. */
    public record ActiveRun(UUID id, boolean dryRun, List<String> collectors) {
    }

    public List<ActiveRun> activeRuns() {
        List<ActiveRun> runs = new ArrayList<>();
        pool.query("select id, dry_run, collectors from run where state = 'running' order by created_at").execute()
                .await().atMost(TIMEOUT)
                .forEach(row -> runs.add(new ActiveRun(row.getUUID("id"), row.getBoolean("dry_run"),
                        Arrays.asList(row.getArrayOfStrings("collectors")))));
        return runs;
    }

    /** How a worker stands in a run when it looks at it. */
    public enum Participation {
        /** It was not part of the run and now is. */
        JOINED,
        /** It is part of it and had not finished (a restart under the same gc.worker-name). */
        WORKING,
        /** It finished its part. */
        FINISHED,
        /** The run is no longer running. */
        ENDED
    }

    /**
     * Makes {@code worker} a participant of the run while it runs: the run row is locked FOR SHARE, so a
     * completion (which locks it FOR UPDATE) sees the new participant.
     */
    public Participation join(UUID runId, String worker) {
        return Transactions.inTransaction(pool, connection -> {
            RowSet<Row> run = connection.preparedQuery("select 1 from run where id = $1 and state = 'running' for share")
                    .execute(Tuple.of(runId)).await().atMost(TIMEOUT);
            if (run.size() == 0) {
                return Participation.ENDED;
            }
            RowSet<Row> inserted = connection.preparedQuery(
                    "insert into run_worker (run_id, worker) values ($1, $2) on conflict do nothing")
                    .execute(Tuple.of(runId, worker)).await().atMost(TIMEOUT);
            if (inserted.rowCount() == 1) {
                return Participation.JOINED;
            }
            RowSet<Row> mine = connection.preparedQuery(
                    "update run_worker set heartbeat_at = now() where run_id = $1 and worker = $2 "
                            + "returning finished_at is not null as finished")
                    .execute(Tuple.of(runId, worker)).await().atMost(TIMEOUT);
            return mine.iterator().next().getBoolean("finished") ? Participation.FINISHED : Participation.WORKING;
        });
    }

    /** Takes part again (to take over steps of a dead worker): the run cannot complete until it finishes again. */
    public void rejoin(UUID runId, String worker) {
        execute("update run_worker set finished_at = null, heartbeat_at = now() where run_id = $1 and worker = $2",
                Tuple.of(runId, worker));
    }

    /** Keeps the worker's participations alive. Non-blocking: called from a timer while the worker is busy. */
    public Uni<Integer> heartbeat(String worker) {
        return pool.preparedQuery("update run_worker set heartbeat_at = now() where worker = $1 and finished_at is null "
                + "and run_id in (select id from run where state = 'running')")
                .execute(Tuple.of(worker)).map(RowSet::rowCount);
    }

    /** A SHARED step: the first worker to start it records the time. */
    public void startShared(UUID runId, String collector) {
        execute("update run_step set started_at = coalesce(started_at, now()) where run_id = $1 and collector = $2",
                Tuple.of(runId, collector));
    }

    /**
     * Claims a SINGLE step for {@code worker}: when nobody has, or its claimer's heartbeat is older than the lease
     * (or the claimer no longer takes part). A concurrent claim waits for the row lock and then sees the winner
     * alive (its participation committed before its claim), so one worker wins.
     */
    public boolean claim(UUID runId, String collector, String worker, Duration lease) {
        RowSet<Row> claimed = pool.preparedQuery("""
                update run_step s set worker = $3, started_at = now()
                 where s.run_id = $1 and s.collector = $2 and s.finished_at is null
                   and (s.worker is null or s.worker = $3 or not exists (
                        select 1 from run_worker w where w.run_id = s.run_id and w.worker = s.worker
                           and w.finished_at is null and w.heartbeat_at > now() - make_interval(secs => $4)))
                """).execute(Tuple.of(runId, collector, worker, lease.toMillis() / 1000.0)).await().atMost(TIMEOUT);
        return claimed.rowCount() == 1;
    }

    /** Unfinished steps among {@code collectors} that nobody (alive) holds: SINGLE steps to take over. */
    public List<String> orphanedSteps(UUID runId, List<String> collectors, Duration lease) {
        List<String> steps = new ArrayList<>();
        pool.preparedQuery("""
                select s.collector from run_step s
                 where s.run_id = $1 and s.collector = any($2) and s.finished_at is null
                   and (s.worker is null or not exists (
                        select 1 from run_worker w where w.run_id = s.run_id and w.worker = s.worker
                           and w.finished_at is null and w.heartbeat_at > now() - make_interval(secs => $3)))
                """).execute(Tuple.of(runId, collectors.toArray(String[]::new), lease.toMillis() / 1000.0))
                .await().atMost(TIMEOUT).forEach(row -> steps.add(row.getString("collector")));
        return steps;
    }

    /**
     * Marks a step finished (a SHARED one: when the first worker finishes it) with the collector's failure, if any
     * (the first one is kept). A SINGLE step only by its claimer ({@code worker}; null for SHARED).
     */
    public void finishStep(UUID runId, String collector, String worker, String error) {
        execute("""
                update run_step set finished_at = coalesce(finished_at, now()), error = coalesce(error, $4)
                 where run_id = $1 and collector = $2 and ($3::text is null or worker = $3)
                """, Tuple.of(runId, collector, worker, error));
    }

    /** Gives back the unfinished SINGLE steps of a worker that stops, and ends its part: others take over at once. */
    public void leave(UUID runId, String worker) {
        Transactions.inTransaction(pool, connection -> {
            connection.preparedQuery("update run_step set worker = null where run_id = $1 and worker = $2 "
                    + "and finished_at is null").execute(Tuple.of(runId, worker)).await().atMost(TIMEOUT);
            connection.preparedQuery("update run_worker set finished_at = now() where run_id = $1 and worker = $2")
                    .execute(Tuple.of(runId, worker)).await().atMost(TIMEOUT);
            return null;
        });
    }

    public void finishWorker(UUID runId, String worker) {
        execute("update run_worker set finished_at = now() where run_id = $1 and worker = $2", Tuple.of(runId, worker));
    }

    /** A run this worker completed: for the metrics and the summary line. */
    public record Completed(UUID id, String state, String trigger, boolean dryRun, Duration duration,
            Map<String, Run.Result> results, String error) {
    }

    /**
     * Completes the run when its work is done: every step finished and no worker with a live heartbeat still busy.
     * The run row is locked first, then everything is checked with fresh snapshots, so a worker joining at the same
     * moment (it locks the row FOR SHARE) is either seen or finds the run ended. Null when not done, or completed by
     * another worker.
     */
    public Completed completeIfDone(UUID runId, Duration lease) {
        return Transactions.inTransaction(pool, connection -> {
            RowSet<Row> run = connection.preparedQuery("select trigger, dry_run, collectors from run "
                    + "where id = $1 and state = 'running' for update").execute(Tuple.of(runId)).await().atMost(TIMEOUT);
            if (run.size() == 0) {
                return null;
            }
            Row head = run.iterator().next();
            Row busy = connection.preparedQuery("""
                    select exists (select 1 from run_step where run_id = $1 and finished_at is null) as steps,
                           exists (select 1 from run_worker where run_id = $1 and finished_at is null
                                      and heartbeat_at > now() - make_interval(secs => $2)) as workers
                    """).execute(Tuple.of(runId, lease.toMillis() / 1000.0)).await().atMost(TIMEOUT).iterator().next();
            if (busy.getBoolean("steps") || busy.getBoolean("workers")) {
                return null;
            }
            List<String> collectors = Arrays.asList(head.getArrayOfStrings("collectors"));
            Map<String, String> failures = new LinkedHashMap<>();
            connection.preparedQuery("select collector, error from run_step where run_id = $1 and error is not null")
                    .execute(Tuple.of(runId)).await().atMost(TIMEOUT)
                    .forEach(row -> failures.put(row.getString("collector"), row.getString("error")));
            String error = null;
            if (!failures.isEmpty()) {
                StringBuilder text = new StringBuilder();
                collectors.stream().filter(failures::containsKey).forEach(c -> text.append(text.isEmpty() ? "" : "; ")
                        .append(c).append(": ").append(failures.get(c)));
                error = text.toString();
            }
            String state = error == null ? Run.COMPLETED : Run.FAILED;
            // the clock, not now(): the transaction may have started before the last worker finished
            Row ended = connection.preparedQuery("update run set state = $2, finished_at = clock_timestamp(), error = $3 "
                    + "where id = $1 returning (extract(epoch from finished_at - created_at) * 1000)::bigint as millis")
                    .execute(Tuple.of(runId, state, error)).await().atMost(TIMEOUT).iterator().next();
            Map<String, Run.Result> results = new LinkedHashMap<>();
            Map<String, Run.Result> unordered = new LinkedHashMap<>();
            connection.preparedQuery("select collector, objects, bytes, errors, last_error from run_result where run_id = $1")
                    .execute(Tuple.of(runId)).await().atMost(TIMEOUT)
                    .forEach(row -> unordered.put(row.getString("collector"), new Run.Result(row.getLong("objects"),
                            row.getLong("bytes"), row.getLong("errors"), row.getString("last_error"))));
            collectors.stream().filter(unordered::containsKey).forEach(c -> results.put(c, unordered.get(c)));
            return new Completed(runId, state, head.getString("trigger"), head.getBoolean("dry_run"),
                    Duration.ofMillis(ended.getLong("millis")), results, error);
        });
    }

    /** Adds to a collector's results (+=, from any worker). */
    public void report(UUID runId, String collector, long objects, long bytes) {
        execute("""
                insert into run_result (run_id, collector, objects, bytes) values ($1, $2, $3, $4)
                on conflict (run_id, collector) do update
                   set objects = run_result.objects + excluded.objects, bytes = run_result.bytes + excluded.bytes
                """, Tuple.of(runId, collector, objects, bytes));
    }

    /** Counts an error of a collector, keeping the last message. */
    public void error(UUID runId, String collector, String message) {
        execute("""
                insert into run_result (run_id, collector, errors, last_error) values ($1, $2, 1, $3)
                on conflict (run_id, collector) do update
                   set errors = run_result.errors + 1, last_error = excluded.last_error
                """, Tuple.of(runId, collector, message));
    }

    public void progress(UUID runId, String collector, String message) {
        execute("update run_step set progress = $3 where run_id = $1 and collector = $2",
                Tuple.of(runId, collector, message));
    }

    private void execute(String sql, Tuple args) {
        pool.preparedQuery(sql).execute(args).await().atMost(TIMEOUT);
    }
}
