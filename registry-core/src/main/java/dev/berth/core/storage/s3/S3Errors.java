package dev.berth.core.storage.s3;

import dev.berth.core.storage.StorageException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/** Turns AWS SDK failures into {@link StorageException}s, telling a full store or quota apart. */
final class S3Errors {
    /** Error codes meaning "no room": AWS, MinIO, Ceph and other S3-compatible servers. */
    private static final Set<String> OUT_OF_SPACE = Set.of("QuotaExceeded", "QuotaExceededException",
            "InsufficientStorage", "EntityTooLarge", "XMinioStorageFull", "StorageFull");

    private S3Errors() {
    }

    static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t instanceof StorageException && t.getCause() instanceof SdkException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The S3 error code of a service error (such as {@code NoSuchUpload}), else {@code null}. */
    static String code(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof AwsServiceException ase && ase.awsErrorDetails() != null) {
            return ase.awsErrorDetails().errorCode();
        }
        return null;
    }

    static int status(Throwable error) {
        Throwable t = unwrap(error);
        return t instanceof AwsServiceException ase ? ase.statusCode() : 0;
    }

    static boolean isNotFound(Throwable error) {
        String code = code(error);
        return status(error) == 404 || "NoSuchUpload".equals(code) || "NoSuchKey".equals(code);
    }

    static StorageException map(String what, Throwable error) {
        if (error instanceof StorageException se) {
            return se;
        }
        Throwable t = unwrap(error);
        if (t instanceof StorageException se) {
            return se;
        }
        if (t instanceof AwsServiceException ase) {
            String code = code(ase);
            int status = ase.statusCode();
            boolean full = status == 507 || code != null && OUT_OF_SPACE.contains(code);
            String detail = ase.awsErrorDetails() != null ? ase.awsErrorDetails().errorMessage() : ase.getMessage();
            return new StorageException(what + ": S3 answered " + status + (code != null ? " " + code : "")
                    + (detail != null ? " (" + detail + ")" : ""), ase, full, !full && status >= 500);
        }
        if (t instanceof SdkClientException) {
            // no answer at all: connection refused or reset, timeouts (after the SDK's own retries)
            return new StorageException(what + ": " + t.getMessage(), t, false, true);
        }
        if (t instanceof SdkException) {
            return new StorageException(what + ": " + t.getMessage(), t, false);
        }
        return new StorageException(what + ": " + t, t, false);
    }
}
