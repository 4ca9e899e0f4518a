package dev.berth.registry.outbox;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** One row of the outbox: a state change, written in the transaction that made it. */
@Entity
@Table(name = "outbox")
public class OutboxEvent {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long sequence;

    @Column(name = "event_type", nullable = false)
    public String eventType;

    @Column(nullable = false)
    public String repository;

    public String digest;

    public String tag;

    @Column(name = "media_type")
    public String mediaType;

    @Column(name = "occurred_at", nullable = false)
    public OffsetDateTime occurredAt;
}
