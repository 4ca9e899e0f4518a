package dev.berth.registry.upload;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An upload in progress. Everything needed to continue it lives here, so any replica can take the
 * next chunk: the storage handle, how many bytes were accepted, and the hash state after them.
 */
@Entity
@Table(name = "upload_session")
public class UploadSession {
    @Id
    public UUID id;

    @Column(name = "repository_id", nullable = false)
    public long repositoryId;

    @Column(name = "storage_handle", nullable = false)
    public String storageHandle;

    @Column(name = "committed_size", nullable = false)
    public long committedSize;

    @Column(name = "hash_state")
    public String hashState;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "updated_at", nullable = false)
    public OffsetDateTime updatedAt;
}
