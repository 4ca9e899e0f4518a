package dev.berth.registry.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.core.digest.InvalidDigestException;
import dev.berth.core.media.InvalidManifestException;
import dev.berth.core.name.InvalidNameException;
import dev.berth.core.storage.StorageException;
import dev.berth.core.sql.DatabaseUnavailable;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Turns any failure on the request path into an OCI error body
 * ({@code {"errors":[{"code","message","detail"}]}}) with the right status. Unexpected failures are
 * logged with the request line and answered with a generic 500. An unreachable database or storage is
 * {@code 503 UNAVAILABLE} (distribution's code), logged as one throttled WARN line.
 */
@ApplicationScoped
public class ErrorResponder {
    private static final Logger LOG = Logger.getLogger(ErrorResponder.class);
    /** At most this much of an unwanted request body is read and dropped; past it the connection is cut. */
    static final long DISCARD_LIMIT = 64L * 1024 * 1024;
    private final ObjectMapper mapper;
    private final ThrottledLog unavailableLog = new ThrottledLog(LOG, java.time.Duration.ofSeconds(10));

    public ErrorResponder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** Whether the failure only says that the client's connection is closed. */
    static boolean clientGone(RoutingContext ctx, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.ClosedChannelException) {
                return true;
            }
        }
        return ctx.response().closed() && !(failure instanceof RegistryException) && !(failure instanceof StorageException);
    }

    public void respond(RoutingContext ctx, Throwable failure) {
        if (clientGone(ctx, failure)) {
            // the client hung up (a load tool stopping, a cancelled pull): nothing is wrong and nobody is left to tell
            LOG.debugf("%s %s: client went away: %s", ctx.request().method(), ctx.request().path(), failure);
            if (!ctx.response().closed()) {
                ctx.request().connection().close();
            }
            return;
        }
        RegistryException error = translate(failure);
        if (error.error() == OciError.UNAVAILABLE && !(unwrap(failure) instanceof RegistryException)) {
            // an outage fails every request: one line now and then, not a stack trace per request
            unavailableLog.warn(ctx.request().method() + " " + ctx.request().path() + " -> 503: " + cause(failure));
        } else if (error.error() == OciError.UNKNOWN || error.error() == OciError.STORAGE_FULL) {
            LOG.errorf(failure, "%s %s failed: %s", ctx.request().method(), ctx.request().path(), failure.getMessage());
        } else {
            LOG.debugf("%s %s -> %d %s: %s", ctx.request().method(), ctx.request().path(), error.status(),
                    error.error(), error.getMessage());
        }
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.ended() || response.closed()) {
            // a stream already started: the only honest signal left is to cut the connection
            if (!response.ended() && !response.closed()) {
                ctx.request().connection().close();
            }
            return;
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("code", error.error().name());
        entry.put("message", error.getMessage());
        if (error.detail() != null) {
            entry.put("detail", error.detail());
        }
        byte[] body;
        try {
            body = mapper.writeValueAsBytes(Map.of("errors", List.of(entry)));
        } catch (Exception e) {
            body = ("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"internal error\"}]}").getBytes();
        }
        response.setStatusCode(error.status());
        response.headers().remove("Docker-Content-Digest").remove("Location").remove("Content-Range");
        response.putHeader("Content-Type", "application/json");
        response.putHeader("Docker-Distribution-API-Version", "registry/2.0");
        // a request without a body (HEAD, GET, an empty POST) keeps its connection alive
        boolean unread = !ctx.request().isEnded() && Responses.hasBody(ctx.request());
        boolean drained = false;
        if (unread) {
            // a request body we did not read: do not keep a half-read connection alive
            response.putHeader("Connection", "close");
            drained = drainRejectedBody(ctx);
        }
        if (ctx.request().method().name().equals("HEAD")) {
            response.putHeader("Content-Length", String.valueOf(body.length)).end();
        } else {
            response.end(io.vertx.core.buffer.Buffer.buffer(body));
        }
        if (unread && !drained) {
            discardRestOfBody(ctx.request());
        }
    }

    /**
     * Reads and drops what is left of a request body (the request may still be paused): a client that sends
     * its whole body before it reads the answer (Apache HttpClient, RestAssured) would otherwise block on a
     * full socket, waiting for a server that waits for it. Past {@link #DISCARD_LIMIT} the connection is cut.
     */
    private static void discardRestOfBody(io.vertx.core.http.HttpServerRequest request) {
        long[] dropped = {0};
        request.exceptionHandler(e -> {
        });
        request.handler(chunk -> {
            dropped[0] += chunk.length();
            if (dropped[0] > DISCARD_LIMIT) {
                request.handler(null);
                if (request.version() == io.vertx.core.http.HttpVersion.HTTP_2) {
                    // only this stream: a GOAWAY could reach the client before it reads the error
                    request.response().reset();
                } else {
                    request.connection().close();
                }
            }
        });
        request.resume();
    }

    /**
     * Reads and drops the rest of a refused HTTP/1.x body of known, modest length ({@value #DRAIN_LIMIT}
     * bytes at most), so that a client that reads no response before its body is out (Apache HttpClient
     * 4, for one) gets the error instead of stalling on a socket nobody reads. Larger or chunked bodies,
     * and HTTP/2 (whose clients read responses while sending), are left as they were: nothing is read.
     * Returns false when it does not apply.
     */
    private static boolean drainRejectedBody(RoutingContext ctx) {
        io.vertx.core.http.HttpServerRequest request = ctx.request();
        long length = Responses.contentLength(request);
        if (request.version() == io.vertx.core.http.HttpVersion.HTTP_2 || length < 0 || length > DRAIN_LIMIT) {
            return false;
        }
        try {
            request.exceptionHandler(e -> {
            });
            request.endHandler(v -> {
            });
            request.handler(buffer -> {
            });
            request.resume();
        } catch (IllegalStateException ended) {
            // the body ended meanwhile: nothing to drain
        }
        return true;
    }

    static final long DRAIN_LIMIT = 16L * 1024 * 1024;

    static RegistryException translate(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof RegistryException re) {
            return re;
        }
        if (t instanceof InvalidDigestException) {
            return new RegistryException(OciError.DIGEST_INVALID, t.getMessage());
        }
        if (t instanceof InvalidNameException) {
            return new RegistryException(t.getMessage().startsWith("invalid tag") ? OciError.MANIFEST_INVALID
                    : OciError.NAME_INVALID, t.getMessage());
        }
        if (t instanceof InvalidManifestException) {
            return new RegistryException(OciError.MANIFEST_INVALID, t.getMessage());
        }
        if (t instanceof StorageException se && se.outOfSpace()) {
            return new RegistryException(OciError.STORAGE_FULL,
                    "the registry's storage is out of space; the upload was not stored, retry later");
        }
        if (t instanceof StorageException se && se.unavailable()) {
            return new RegistryException(OciError.UNAVAILABLE,
                    "the registry's storage is unavailable; nothing was stored, retry later");
        }
        if (!(t instanceof StorageException) && DatabaseUnavailable.is(failure)) {
            return new RegistryException(OciError.UNAVAILABLE, "the registry's database is unavailable; retry later");
        }
        return new RegistryException(OciError.UNKNOWN, "internal error, see the registry log");
    }

    /** The one-line reason of an outage for the log. */
    private static String cause(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof StorageException) {
            return t.getMessage();
        }
        return "database unavailable (" + DatabaseUnavailable.describe(failure) + ")";
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        for (int i = 0; i < 10 && current != null; i++) {
            if (current instanceof RegistryException || current instanceof IllegalArgumentException
                    || current instanceof StorageException) {
                return current;
            }
            current = current.getCause();
        }
        return t;
    }
}
