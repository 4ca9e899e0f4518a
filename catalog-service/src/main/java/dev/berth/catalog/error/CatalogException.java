package dev.berth.catalog.error;

import java.util.Map;

/** A request that fails with an OCI-style error body {@code {"errors":[{"code","message"}]}} and this status. */
public class CatalogException extends RuntimeException {
    private final int status;
    private final String code;
    private final Map<String, String> headers;

    public CatalogException(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    public CatalogException(int status, String code, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static CatalogException badParameter(String message) {
        return new CatalogException(400, "PAGINATION_NUMBER_INVALID", message);
    }

    public static CatalogException unsupported(String message) {
        return new CatalogException(400, "UNSUPPORTED", message);
    }

    public static CatalogException nameUnknown(String name) {
        return new CatalogException(404, "NAME_UNKNOWN", "repository name not known to registry: " + name);
    }

    public static CatalogException tagUnknown(String name, String tag) {
        return new CatalogException(404, "MANIFEST_UNKNOWN", "tag " + tag + " not known in repository " + name);
    }

    public static CatalogException denied(String message) {
        return new CatalogException(403, "DENIED", message);
    }
}
