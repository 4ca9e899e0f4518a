package dev.berth.catalog.cluster;

import dev.berth.core.cluster.HazelcastClusterConfig;
import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Hands Quarkus the Hazelcast cluster manager for the clustered event bus. vertx-hazelcast's own service
 * file is removed from the class path (see COMPONENTS.md: Quarkus cannot record it at build time), so the
 * manager is supplied here, configured from {@code berth.cluster.*}.
 */
@ApplicationScoped
public class ClusterCustomizer implements VertxOptionsCustomizer {
    private static final Logger LOG = Logger.getLogger(ClusterCustomizer.class);

    private final ClusterConfig config;
    private final boolean clustered;

    public ClusterCustomizer(ClusterConfig config,
            @ConfigProperty(name = "quarkus.vertx.cluster.clustered", defaultValue = "false") boolean clustered) {
        this.config = config;
        this.clustered = clustered;
    }

    @Override
    public void accept(VertxOptions options) {
        if (!clustered) {
            LOG.info("event bus in-process only (quarkus.vertx.cluster.clustered=false)");
            return;
        }
        var settings = config.settings();
        LOG.infof("event bus clustered: Hazelcast cluster '%s', %s", settings.name(),
                settings.kubernetesService().map(s -> "members from the headless Service " + s)
                        .orElse("members " + String.join(",", settings.effectiveMembers())));
        options.setClusterManager(new HazelcastClusterManager(HazelcastClusterConfig.build(settings)));
    }
}
