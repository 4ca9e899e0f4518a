package dev.berth.registry.blob;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A stored blob: its digest, size and where storage keeps it. Shared by all repositories linking it. */
@Entity
@Table(name = "blob")
public class Blob {
    @Id
    public String digest;

    @Column(nullable = false)
    public long size;

    @Column(name = "storage_key", nullable = false)
    public String storageKey;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "last_touched_at", nullable = false)
    public OffsetDateTime lastTouchedAt;
}
