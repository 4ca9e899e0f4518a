package dev.berth.registry.error;

/** The error codes of the OCI distribution spec, with the HTTP status each is sent with by default. */
public enum OciError {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    TOOMANYREQUESTS(429, "too many requests"),
    /** Not in the spec's table; distribution uses it for bad {@code n}. */
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    /** Not in the spec's table; distribution's code for a tag it cannot take (a manifest PUT to an invalid tag). */
    TAG_INVALID(400, "manifest tag invalid"),
    /** Not in the spec's table: the storage backend refused a write (disk full, quota). */
    STORAGE_FULL(507, "storage is out of space"),
    /**
     * Not in the spec's table; distribution's code (errcode {@code UNAVAILABLE}, 503) for a registry that cannot
     * serve right now: here PostgreSQL out of reach or the storage refusing an operation. The client may retry.
     */
    UNAVAILABLE(503, "service unavailable"),
    UNKNOWN(500, "unknown error");

    private final int status;
    private final String defaultMessage;

    OciError(int status, String defaultMessage) {
        this.status = status;
        this.defaultMessage = defaultMessage;
    }

    public int status() {
        return status;
    }

    public String defaultMessage() {
        return defaultMessage;
    }
}
