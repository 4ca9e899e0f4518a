package dev.berth.registry.manifest;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A manifest or index of one repository, stored byte for byte as pushed. */
@Entity
@Table(name = "manifest")
public class Manifest {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "repository_id", nullable = false)
    public long repositoryId;

    @Column(nullable = false)
    public String digest;

    @Column(name = "media_type", nullable = false)
    public String mediaType;

    @Column(name = "artifact_type")
    public String artifactType;

    @Column(name = "subject_digest")
    public String subjectDigest;

    /** The manifest's annotations as a JSON object, for the referrers API. */
    public String annotations;

    @Column(nullable = false)
    public long size;

    @Column(nullable = false)
    public byte[] payload;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;
}
