package dev.berth.catalog.events;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports the consumer in {@code /q/health/ready}: the position applied and, while applying fails, why. It stays
 * UP: the read model still answers queries (only staler) when registry-api's outbox cannot be read.
 */
@Readiness
@ApplicationScoped
public class EventsHealthCheck implements HealthCheck {
    private final EventConsumer consumer;

    public EventsHealthCheck(EventConsumer consumer) {
        this.consumer = consumer;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("catalog-events").up().withData("position", consumer.appliedPosition());
        String failure = consumer.failure();
        if (failure != null) {
            response.withData("failing", failure);
        }
        return response.build();
    }
}
