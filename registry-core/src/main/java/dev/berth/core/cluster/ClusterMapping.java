package dev.berth.core.cluster;

import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/**
 * {@code berth.cluster.*}: how a process joins the event-bus cluster, the same for every service. Each service
 * declares {@code @ConfigMapping(prefix = "berth.cluster") interface ClusterConfig extends ClusterMapping}: the
 * mapping annotation stays in the service, so registry-core needs no Quarkus bean index (token-service, which
 * does not cluster, never sees it). Clustering itself is switched with {@code quarkus.vertx.cluster.clustered}
 * (off runs the bus in-process, for a single process). Defaults are documented in docs/events.md, "Clustering".
 */
public interface ClusterMapping {

    /** Cluster name: processes with another name never join. */
    @WithDefault("berth")
    String name();

    /** Interface Hazelcast binds and announces. */
    @WithDefault("127.0.0.1")
    String host();

    /** First Hazelcast member port; a process takes the first free one of {@code port .. port + port-count - 1}. */
    @WithDefault("5701")
    int port();

    /** Member ports available on one host (how many Berth processes may run on it). */
    @WithDefault("10")
    int portCount();

    /** Members to contact, {@code host:port}; empty: every port of the range on {@code host}. */
    Optional<List<String>> members();

    /** DNS name of a headless Kubernetes Service; when set, members are discovered through it. */
    Optional<String> kubernetesService();

    default ClusterSettings settings() {
        return new ClusterSettings(name(), host(), port(), portCount(), members().orElse(List.of()),
                kubernetesService());
    }
}
