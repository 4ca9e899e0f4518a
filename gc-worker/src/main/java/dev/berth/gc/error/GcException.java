package dev.berth.gc.error;

import java.util.Map;

/**
 * A request that fails with an OCI-style error body {@code {"errors":[{"code","message","detail"}]}} and this
 * status; {@code detail} (optional) carries machine-readable facts, for example the id of the run already active.
 */
public class GcException extends RuntimeException {
    private final int status;
    private final String code;
    private final Object detail;
    private final Map<String, String> headers;

    public GcException(int status, String code, String message, Object detail, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.detail = detail;
        this.headers = headers;
    }

    public GcException(int status, String code, String message) {
        this(status, code, message, null, Map.of());
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Object detail() {
        return detail;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static GcException badRequest(String message) {
        return new GcException(400, "INVALID_REQUEST", message);
    }

    public static GcException unknownCollector(String message) {
        return new GcException(400, "COLLECTOR_UNKNOWN", message);
    }

    public static GcException runUnknown(String id) {
        return new GcException(404, "RUN_UNKNOWN", "no garbage collection run " + id);
    }

    /** 409: a run is active; its id is in the detail and the {@code Location} header. */
    public static GcException runActive(String activeId) {
        return new GcException(409, "RUN_ACTIVE", "garbage collection run " + activeId + " is running",
                Map.of("id", activeId), Map.of("Location", "/api/v1/gc/runs/" + activeId));
    }

    public static GcException denied(String message) {
        return new GcException(403, "DENIED", message);
    }
}
