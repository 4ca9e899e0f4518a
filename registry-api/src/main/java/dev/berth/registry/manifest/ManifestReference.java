package dev.berth.registry.manifest;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** What a manifest points at; garbage collection walks these. */
@Entity
@Table(name = "manifest_reference")
public class ManifestReference {
    public static final String CONFIG = "config";
    public static final String LAYER = "layer";
    public static final String MANIFEST = "manifest";
    public static final String SUBJECT = "subject";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "manifest_id", nullable = false)
    public long manifestId;

    @Column(nullable = false)
    public String digest;

    @Column(nullable = false)
    public String kind;

    public static ManifestReference of(long manifestId, String digest, String kind) {
        ManifestReference r = new ManifestReference();
        r.manifestId = manifestId;
        r.digest = digest;
        r.kind = kind;
        return r;
    }
}
