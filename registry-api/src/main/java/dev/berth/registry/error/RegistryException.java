package dev.berth.registry.error;

/** A failure the client is told about as an OCI error body. */
public class RegistryException extends RuntimeException {
    private final OciError error;
    private final int status;
    private final Object detail;

    public RegistryException(OciError error, String message) {
        this(error, error.status(), message, null);
    }

    public RegistryException(OciError error, String message, Object detail) {
        this(error, error.status(), message, detail);
    }

    public RegistryException(OciError error, int status, String message) {
        this(error, status, message, null);
    }

    public RegistryException(OciError error, int status, String message, Object detail) {
        super(message != null ? message : error.defaultMessage(), null, false, false);
        this.error = error;
        this.status = status;
        this.detail = detail;
    }

    public OciError error() {
        return error;
    }

    public int status() {
        return status;
    }

    public Object detail() {
        return detail;
    }

    /** 416 for a chunk that does not continue the upload where it stands. */
    /** {@code NAME_UNKNOWN}: the repository does not exist. */
    public static RegistryException nameUnknown(Object repository) {
        return new RegistryException(OciError.NAME_UNKNOWN, "repository " + repository + " is not known to the registry");
    }

    public static RegistryException rangeInvalid(String message) {
        return new RegistryException(OciError.BLOB_UPLOAD_INVALID, 416, message);
    }
}
