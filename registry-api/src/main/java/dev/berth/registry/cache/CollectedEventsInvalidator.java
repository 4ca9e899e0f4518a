package dev.berth.registry.cache;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.outbox.OutboxRelay;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Makes the manifest cache forget what garbage collection deleted. gc-worker deletes tags and manifests
 * (retention, untagged) in PostgreSQL and writes their events to the outbox; no request of registry-api made the
 * change, so nothing here invalidated the cache. This listens on {@value OutboxRelay#EVENTS_ADDRESS} (every replica
 * receives every published event) and invalidates for {@code tag.deleted} and {@code manifest.deleted} events whose
 * actor is {@value #GC_ACTOR}. Requests of registry-api invalidate themselves, before they answer.
 *
 * <p>Until the event arrives (the outbox relay publishes within its poll interval, at once when gc-worker wakes it)
 * a replica may still serve a collected tag from the cache: what a pull sees of a deletion nobody asked for is not
 * bounded more tightly than that. {@code repository.deleted} carries no tags or digests to forget: gc-worker never
 * deletes repositories, and the entries of one would expire with their lifespans.
 */
@ApplicationScoped
public class CollectedEventsInvalidator {
    private static final Logger LOG = Logger.getLogger(CollectedEventsInvalidator.class);

    /** The actor of the events gc-worker writes. */
    public static final String GC_ACTOR = "gc-worker";

    private final Vertx vertx;
    private final ManifestCache cache;
    private MessageConsumer<Object> consumer;

    public CollectedEventsInvalidator(Vertx vertx, ManifestCache cache) {
        this.vertx = vertx;
        this.cache = cache;
    }

    void onStart(@Observes StartupEvent event) {
        consumer = vertx.eventBus().consumer(OutboxRelay.EVENTS_ADDRESS, this::onEvent);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (consumer != null) {
            consumer.unregister();
        }
    }

    void onEvent(Message<Object> message) {
        if (!(message.body() instanceof String text) || !text.contains(GC_ACTOR)) {
            return; // the usual event, a request's: decoded only when it may be gc-worker's
        }
        RegistryEvent event;
        try {
            event = RegistryEventJson.read(text);
        } catch (RuntimeException e) {
            LOG.debugf("manifest cache: an event on %s could not be read: %s", OutboxRelay.EVENTS_ADDRESS, e.getMessage());
            return;
        }
        if (!GC_ACTOR.equals(event.actor())) {
            return;
        }
        RepositoryName repository;
        try {
            repository = new RepositoryName(event.repository());
        } catch (IllegalArgumentException e) {
            return;
        }
        if (RegistryEvent.TAG_DELETED.equals(event.type()) && event.tag() != null) {
            cache.invalidate(repository, List.of(event.tag()), List.of()).subscribe().with(v -> { });
        } else if (RegistryEvent.MANIFEST_DELETED.equals(event.type()) && event.digest() != null) {
            cache.invalidate(repository, List.of(), List.of(event.digest())).subscribe().with(v -> { });
        }
    }
}
