package dev.berth.it.gc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.it.harness.GcWorkerProcess;
import dev.berth.it.harness.Http;

/** gc-worker's run API ({@code /api/v1/gc/runs}, authentication off): start a run, wait until it has finished. */
final class GcRuns {

    static final List<String> INCREMENTAL = List.of("links", "blobs", "objects", "uploads");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GcWorkerProcess worker;

    GcRuns(GcWorkerProcess worker) {
        this.worker = worker;
    }

    /**
     * Starts a run of {@code collectors} (null: every collector, a full run) and answers its id; while another run
     * is active (409), waits for it and asks again, within {@code limit}.
     */
    String start(List<String> collectors, boolean dryRun, Duration limit) {
        String body = "{\"dryRun\":" + dryRun + (collectors == null ? "" : ",\"collectors\":"
                + toJson(collectors)) + "}";
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            HttpRequest request = HttpRequest.newBuilder(worker.uri("/api/v1/gc/runs")).timeout(Duration.ofMinutes(1))
                    .header("Content-Type", "application/json")
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
    JsonNode get(String id) {
        HttpResponse<byte[]> response = Http.get(worker.uri("/api/v1/gc/runs/" + id), "Accept", "application/json");
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /api/v1/gc/runs/" + id + " on " + worker + ": " + response.statusCode() + " "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return json(response);
    }

    /** Waits (bounded) until the run is no longer {@code running}; its final state. */
    JsonNode awaitFinished(String id, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        JsonNode run = get(id);
        while (run.path("state").asText().equals("running")) {
            if (System.nanoTime() > deadline || !worker.process().isAlive()) {
                throw new AssertionError("run " + id + " still running after " + limit.toSeconds() + " s: " + run
                        + "\n" + worker.process().describe());
            }
            pause(50);
            run = get(id);
        }
        return run;
    }

    /** Starts a run and waits until it has finished; fails unless it completed. */
    JsonNode run(List<String> collectors, Duration limit) {
        JsonNode run = awaitFinished(start(collectors, false, limit), limit);
        if (!run.path("state").asText().equals("completed")) {
            throw new AssertionError("run did not complete: " + run + "\n" + worker.process().describe());
        }
        return run;
    }

    /** {@code results.<collector>.objects} of a finished run (0 when the collector did not report). */
    static long objects(JsonNode run, String collector) {
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
