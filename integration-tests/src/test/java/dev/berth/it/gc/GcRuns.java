package dev.berth.it.gc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.it.harness.GcWorkerProcess;
import dev.berth.it.harness.Http;

/**
 * gc-worker's run API ({@code /api/v1/gc/runs}): start a run, wait until it has finished. Authentication off, or with
 * a bearer token holding {@code registry:gc:*} (the end-to-end stack's).
 */
public final class GcRuns {

    public static final List<String> INCREMENTAL = List.of("links", "blobs", "objects", "uploads");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String worker;
    private final Function<String, URI> uri;
    private final Supplier<String> token;
    private final BooleanSupplier alive;
    private final Supplier<String> describe;

    GcRuns(GcWorkerProcess worker) {
        this(worker.toString(), worker::uri, null, worker.process()::isAlive, worker.process()::describe);
    }

    /**
     * The API of a worker at {@code uri} (path and query to URI), with a bearer token from {@code token} (null:
     * authentication off); {@code alive} and {@code describe} tell whether the worker still runs and what its log says.
     */
    public GcRuns(String worker, Function<String, URI> uri, Supplier<String> token, BooleanSupplier alive,
            Supplier<String> describe) {
        this.worker = worker;
        this.uri = uri;
        this.token = token;
        this.alive = alive;
        this.describe = describe;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri.apply(path)).timeout(Duration.ofMinutes(1));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token.get());
        }
        return builder;
    }

    /**
     * Starts a run of {@code collectors} (null: every collector, a full run) and answers its id; while another run
     * is active (409), waits for it and asks again, within {@code limit}.
     */
    public String start(List<String> collectors, boolean dryRun, Duration limit) {
        String body = "{\"dryRun\":" + dryRun + (collectors == null ? "" : ",\"collectors\":"
                + toJson(collectors)) + "}";
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            HttpRequest request = request("/api/v1/gc/runs").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<byte[]> response = Http.send(request);
            if (response.statusCode() == 202 || response.statusCode() == 201) {
                return json(response).path("id").asText();
            }
            if (response.statusCode() != 409 || System.nanoTime() > deadline) {
                throw new AssertionError("POST /api/v1/gc/runs on " + worker + Http.describe(request, response, body));
            }
            pause(100);
        }
    }

    /** The run as the API shows it. */
    public JsonNode get(String id) {
        HttpResponse<byte[]> response = Http.send(request("/api/v1/gc/runs/" + id).header("Accept", "application/json")
                .GET().build());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /api/v1/gc/runs/" + id + " on " + worker + ": " + response.statusCode() + " "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return json(response);
    }

    /** Waits (bounded) until the run is no longer {@code running}; its final state. */
    public JsonNode awaitFinished(String id, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        JsonNode run = get(id);
        while (run.path("state").asText().equals("running")) {
            if (System.nanoTime() > deadline || !alive.getAsBoolean()) {
                throw new AssertionError("run " + id + " still running after " + limit.toSeconds() + " s: " + run
                        + "\n" + describe.get());
            }
            pause(50);
            run = get(id);
        }
        return run;
    }

    /** Starts a run and waits until it has finished; fails unless it completed. */
    public JsonNode run(List<String> collectors, Duration limit) {
        JsonNode run = awaitFinished(start(collectors, false, limit), limit);
        if (!run.path("state").asText().equals("completed")) {
            throw new AssertionError("run did not complete: " + run + "\n" + describe.get());
        }
        return run;
    }

    /** {@code results.<collector>.objects} of a finished run (0 when the collector did not report). */
    public static long objects(JsonNode run, String collector) {
        return run.path("results").path(collector).path("objects").asLong(0);
    }

    private static String toJson(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(new String(response.body(), StandardCharsets.UTF_8), e);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
