package dev.berth.gc.run;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import dev.berth.gc.support.GcDatabase;
import dev.berth.gc.support.TestCollectors;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = GcDatabase.class, restrictToAnnotatedClass = false)
class RunsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;
    @Inject
    Workers workers;
    @Inject
    RunScheduler scheduler;
    @Inject
    DeletionListener deletions;

    private final List<WorkerLoop> loops = new ArrayList<>();

    @BeforeEach
    void clean() {
        pool.query("delete from gc.run").execute().await().atMost(WAIT);
        TestCollectors.reset();
    }

    @AfterEach
    void stopLoops() {
        loops.forEach(loop -> loop.stop(Duration.ofSeconds(5)));
        loops.clear();
    }

    private WorkerLoop startLoop(String name) {
        WorkerLoop loop = workers.create(name);
        loops.add(loop);
        loop.start();
        return loop;
    }

    private static String start(String body) {
        return given().contentType(ContentType.JSON).body(body).post("/api/v1/gc/runs").then().statusCode(202)
                .extract().path("id");
    }

    private static JsonPath run(String id) {
        return given().get("/api/v1/gc/runs/" + id).then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitState(String id, String state) {
        await(() -> !run(id).getString("state").equals("running"), "run " + id + " ended");
        JsonPath run = run(id);
        assertThat(run.getString("state")).as(run.prettify()).isEqualTo(state);
        return run;
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void createGetAndList() {
        var created = given().contentType(ContentType.JSON)
                .body("{\"dryRun\": true, \"collectors\": [\"test-single\", \"test-shared\"]}")
                .post("/api/v1/gc/runs").then().statusCode(202).extract();
        String id = created.path("id");
        assertThat(created.header("Location")).endsWith("/api/v1/gc/runs/" + id);
        given().get("/api/v1/gc/runs/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("state", equalTo("running")).body("dryRun", equalTo(true))
                .body("collectors", contains("test-shared", "test-single")).body("trigger", equalTo("api"))
                .body("requestedBy", nullValue()).body("createdAt", notNullValue()).body("finishedAt", nullValue())
                .body("workers", hasSize(0)).body("results.test-shared.objects", equalTo(0))
                .body("results.test-single.bytes", equalTo(0)).body("error", nullValue());
        given().get("/api/v1/gc/runs?limit=5").then().statusCode(200).body("runs.id", contains(id));
    }

    @Test
    void errorsHaveBodies() {
        String id = start("{\"collectors\": [\"test-shared\"]}");
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/gc/runs").then().statusCode(409)
                .header("Location", endsWith("/api/v1/gc/runs/" + id))
                .body("errors[0].code", equalTo("RUN_ACTIVE")).body("errors[0].detail.id", equalTo(id))
                .body("errors[0].message", containsString(id));
        given().contentType(ContentType.JSON).body("{\"collectors\": [\"nope\", \"test-shared\"]}")
                .post("/api/v1/gc/runs").then().statusCode(400)
                .body("errors[0].code", equalTo("COLLECTOR_UNKNOWN")).body("errors[0].message", containsString("nope"));
        given().contentType(ContentType.JSON).body("{\"collectors\": 7}").post("/api/v1/gc/runs").then()
                .statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        given().get("/api/v1/gc/runs/" + UUID.randomUUID()).then().statusCode(404)
                .body("errors[0].code", equalTo("RUN_UNKNOWN"));
        given().get("/api/v1/gc/runs/not-a-uuid").then().statusCode(404).body("errors[0].code", equalTo("RUN_UNKNOWN"));
        given().get("/api/v1/gc/runs?limit=0").then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
    }

    @Test
    void twoWorkersShareARunAndASingleCollectorRunsOnce() {
        TestCollectors.Shared.participants.set(2);
        startLoop("w1");
        startLoop("w2");
        String id = start("{\"collectors\": [\"test-single\", \"test-shared\"]}");
        JsonPath run = awaitState(id, "completed");
        assertThat(TestCollectors.Shared.threads).containsExactlyInAnyOrder("gc-run-w1", "gc-run-w2");
        assertThat(TestCollectors.Single.runs.get()).isEqualTo(1);
        assertThat(run.getList("workers.name")).containsExactly("w1", "w2");
        assertThat(run.getList("workers.finishedAt")).doesNotContainNull();
        // results add up over the workers
        assertThat(run.getLong("results.test-shared.objects")).isEqualTo(2);
        assertThat(run.getLong("results.test-shared.bytes")).isEqualTo(20);
        assertThat(run.getLong("results.test-single.objects")).isEqualTo(1);
        assertThat(run.getString("progress.test-single")).isEqualTo("done");
        assertThat(run.getString("finishedAt")).isNotNull();

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        // (the counters count every test's runs)
        assertThat(metrics).contains("berth_gc_runs_total{state=\"completed\",trigger=\"api\"}")
                .contains("berth_gc_reclaimed_objects_total{collector=\"test-shared\"}")
                .contains("berth_gc_reclaimed_bytes_total{collector=\"test-single\"}")
                .contains("berth_gc_run_duration_seconds_count")
                .contains("berth_gc_backlog{queue=\"links\"}").contains("berth_gc_backlog{queue=\"objects\"}");
    }

    @Test
    void aFailingCollectorFailsTheRun() {
        startLoop("w1");
        String id = start("{\"collectors\": [\"test-fail\", \"test-single\"]}");
        JsonPath run = awaitState(id, "failed");
        assertThat(run.getString("error")).contains("test-fail").contains("boom on command");
        assertThat(run.getLong("results.test-fail.errors")).isEqualTo(2);
        assertThat(run.getString("results.test-fail.lastError")).contains("boom on command");
        // the others still ran
        assertThat(run.getLong("results.test-single.objects")).isEqualTo(1);
        assertThat(given().get("/q/metrics").asString()).contains("berth_gc_errors_total{collector=\"test-fail\"}")
                .contains("berth_gc_runs_total{state=\"failed\",trigger=\"api\"}");
    }

    @Test
    void theStepOfAWorkerThatStoppedHeartbeatingIsTakenOver() {
        String id = start("{\"collectors\": [\"test-single\"]}");
        UUID runId = UUID.fromString(id);
        // a worker "ghost" joined and claimed the step, and is alive for now
        pool.preparedQuery("insert into gc.run_worker (run_id, worker) values ($1, 'ghost')").execute(Tuple.of(runId))
                .await().atMost(WAIT);
        pool.preparedQuery("update gc.run_step set worker = 'ghost', started_at = now() where run_id = $1")
                .execute(Tuple.of(runId)).await().atMost(WAIT);
        startLoop("w1");
        await(() -> run(id).getList("workers.finishedAt").stream().filter(t -> t != null).count() == 1,
                "w1 finished its part");
        assertThat(run(id).getString("state")).isEqualTo("running");
        assertThat(TestCollectors.Single.runs.get()).isZero();

        // ghost's heartbeat is older than the lease now
        pool.query("update gc.run_worker set heartbeat_at = now() - interval '1 hour' where worker = 'ghost'")
                .execute().await().atMost(WAIT);
        JsonPath run = awaitState(id, "completed");
        assertThat(TestCollectors.Single.runs.get()).isEqualTo(1);
        assertThat(run.getList("workers.name")).containsExactly("ghost", "w1");
    }

    @Test
    void aStoppingWorkerHandsBackItsStep() {
        TestCollectors.Single.hold = true;
        WorkerLoop w1 = startLoop("w1");
        String id = start("{\"collectors\": [\"test-single\"]}");
        await(() -> TestCollectors.Single.entered.get() == 1, "w1 runs test-single");
        w1.stop(Duration.ofSeconds(10));
        // not done, handed back at once (not only after the lease)
        Row step = pool.preparedQuery("select s.worker, s.finished_at, w.finished_at as left_at from gc.run_step s "
                + "join gc.run_worker w on w.run_id = s.run_id where s.run_id = $1").execute(Tuple.of(UUID.fromString(id)))
                .await().atMost(WAIT).iterator().next();
        assertThat(step.getString("worker")).isNull();
        assertThat(step.getValue("finished_at")).isNull();
        assertThat(step.getValue("left_at")).isNotNull();
        TestCollectors.Single.hold = false;
        startLoop("w2");
        awaitState(id, "completed");
        assertThat(TestCollectors.Single.runs.get()).isEqualTo(1);
    }

    @Test
    void scheduledRunsAreCreatedOnceWhileNoneIsActive() {
        // two workers' timers at the same moment: one run
        List<RunRepository.Created> both = Uni.join().all(scheduler.startIfDue(), scheduler.startIfDue()).andFailFast()
                .await().atMost(WAIT);
        assertThat(both.stream().filter(c -> c.created() != null)).hasSize(1);
        UUID full = both.stream().filter(c -> c.created() != null).findFirst().orElseThrow().created();
        assertThat(run(full.toString()).getString("trigger")).isEqualTo("full-schedule");
        // every collector of the service, in the run order; the tests' own ones (not in the order) after them by name
        assertThat(run(full.toString()).getList("collectors", String.class)).containsSubsequence("retention", "untagged",
                "mark", "uploads", "orphans", "links", "blobs", "objects").endsWith("test-fail", "test-shared",
                "test-single");
        // while it runs: nothing, and the API says so too
        assertThat(scheduler.startIfDue().await().atMost(WAIT).created()).isNull();
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/gc/runs").then().statusCode(409);
        // after it: not due again within gc.schedule.full-every (and these collectors have no incremental run)
        pool.query("update gc.run set state = 'completed', finished_at = now()").execute().await().atMost(WAIT);
        RunRepository.Created again = scheduler.startIfDue().await().atMost(WAIT);
        assertThat(again.created()).isNull();
        assertThat(again.active()).isNull();
        assertThat(pool.query("select count(*) from gc.run").execute().await().atMost(WAIT).iterator().next()
                .getLong(0)).isEqualTo(1);
    }

    @Test
    void deletionEventsStartOneRunAGracePeriodLater() {
        long before = System.currentTimeMillis();
        deletions.onEvent("{\"version\":1,\"position\":5,\"type\":\"blob.deleted\",\"repository\":\"a/b\","
                + "\"digest\":\"sha256:" + "0".repeat(64) + "\"}");
        long pending = deletions.pendingAt();
        assertThat(pending).isBetween(before + Duration.ofHours(1).plusSeconds(1).toMillis(),
                System.currentTimeMillis() + Duration.ofHours(1).plusSeconds(1).toMillis());
        // a later one does not move it, pushes do not count
        deletions.onEvent("{\"version\":1,\"position\":6,\"type\":\"manifest.pushed\",\"repository\":\"a/b\"}");
        deletions.onEvent("{\"version\":1,\"position\":7,\"type\":\"tag.deleted\",\"repository\":\"a/b\",\"tag\":\"x\"}");
        assertThat(deletions.pendingAt()).isEqualTo(pending);
    }

    @Test
    void backlogCountsRowsDue() {
        pool.query("insert into registry.gc_pending_object (storage_key, digest, size) "
                + "values ('backlog-test/data', 'sha256:backlog-test', 1)").execute().await().atMost(WAIT);
        try {
            // refreshed every 10 s
            await(() -> backlog("objects") >= 1, "the pending object counted");
        } finally {
            pool.query("delete from registry.gc_pending_object where storage_key = 'backlog-test/data'").execute()
                    .await().atMost(WAIT);
        }
    }

    private static double backlog(String queue) {
        String prefix = "berth_gc_backlog{queue=\"" + queue + "\"} ";
        return given().get("/q/metrics").asString().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(-1);
    }

    @Test
    void openApiDescribesTheRuns() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/api/v1/gc/runs'.post.responses.'409'.description", containsString("active"))
                .body("paths.'/api/v1/gc/runs/{id}'.get.responses.'404'", notNullValue());
    }

    @Test
    void readiness() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", org.hamcrest.Matchers.hasItems("database", "storage"));
    }
}
