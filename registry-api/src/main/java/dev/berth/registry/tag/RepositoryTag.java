package dev.berth.registry.tag;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A tag of a repository, pointing at one manifest. */
@Entity
@Table(name = "tag")
public class RepositoryTag {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "repository_id", nullable = false)
    public long repositoryId;

    @Column(nullable = false)
    public String name;

    @Column(name = "manifest_id", nullable = false)
    public long manifestId;

    @Column(name = "updated_at", nullable = false)
    public OffsetDateTime updatedAt;
}
