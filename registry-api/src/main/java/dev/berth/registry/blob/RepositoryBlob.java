package dev.berth.registry.blob;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** The link that makes a blob readable in one repository. */
@Entity
@Table(name = "repository_blob")
public class RepositoryBlob {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "repository_id", nullable = false)
    public long repositoryId;

    @Column(nullable = false)
    public String digest;

    @Column(name = "linked_at", nullable = false)
    public OffsetDateTime linkedAt;
}
