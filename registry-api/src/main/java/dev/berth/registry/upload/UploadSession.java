package dev.berth.registry.upload;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An upload in progress (a row of {@code upload_session}). Everything needed to continue it lives here,
 * so any replica can take the next chunk: the storage handle, how many bytes were accepted, and the hash
 * state after them. Read and written by {@link UploadSessionRepository}.
 */
public class UploadSession {
    public UUID id;
    public long repositoryId;
    public String storageHandle;
    public long committedSize;
    public String hashState;
    public OffsetDateTime createdAt;
    public OffsetDateTime updatedAt;
}
