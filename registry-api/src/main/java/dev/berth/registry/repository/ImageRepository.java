package dev.berth.registry.repository;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A repository such as {@code team/app}: created by its first upload or manifest push. */
@Entity
@Table(name = "repository")
public class ImageRepository {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false, unique = true)
    public String name;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;
}
