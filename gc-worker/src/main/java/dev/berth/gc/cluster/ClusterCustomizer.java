package dev.berth.gc.cluster;

import dev.berth.core.cluster.HazelcastClusterConfig;
import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.VertxOptions;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Hands Quarkus the Hazelcast cluster manager for the clustered event bus ({@link HazelcastClusterConfig#customize}). */
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
        LOG.info(HazelcastClusterConfig.customize(options, config.settings(), clustered));
    }
}
