package dev.berth.core.storage;

import java.time.Instant;

/**
 * A multipart upload in progress in the backend (S3): parts stored, not completed into an object yet. The
 * registry's uploads start them; one whose upload session is gone only costs storage until it is aborted.
 *
 * @param key       the object the upload would complete into
 * @param uploadId  the backend's id of the multipart upload
 * @param initiated when it was started
 */
public record PendingMultipart(String key, String uploadId, Instant initiated) {
}
