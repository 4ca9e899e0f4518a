package dev.berth.core.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * The Hazelcast configuration of a Berth service: vertx-hazelcast's own defaults (the {@code __vertx.*}
 * maps, multimap and semaphores the event bus needs) with the network replaced by an explicit join, either
 * the member list on loopback (local runs, tests) or Kubernetes DNS discovery through a headless Service.
 * Multicast and auto-detection are always off: a registry must never join a cluster it happens to see.
 */
public final class HazelcastClusterConfig {

    private HazelcastClusterConfig() {
    }

    /**
     * What every service's {@code VertxOptionsCustomizer} does: when {@code clustered}, hands Vert.x a Hazelcast
     * cluster manager configured from {@code settings} (vertx-hazelcast's own service file is removed, see
     * COMPONENTS.md); otherwise leaves {@code options} alone. Returns the line the service logs about it.
     */
    public static String customize(VertxOptions options, ClusterSettings settings, boolean clustered) {
        if (!clustered) {
            return "event bus in-process only (quarkus.vertx.cluster.clustered=false)";
        }
        options.setClusterManager(new HazelcastClusterManager(build(settings)));
        return "event bus clustered: Hazelcast cluster '" + settings.name() + "', "
                + settings.kubernetesService().map(s -> "members from the headless Service " + s)
                        .orElse("members " + String.join(",", settings.effectiveMembers()));
    }

    public static Config build(ClusterSettings settings) {
        Config config = ConfigUtil.loadConfig();
        config.setClusterName(settings.name());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.setProperty("hazelcast.logging.type", "jdk");
        // a member that vanished without a goodbye (SIGKILL) is declared dead within seconds, not a minute
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "6");

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortCount(settings.portCount()).setPortAutoIncrement(true);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (settings.kubernetesService().isPresent()) {
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", settings.kubernetesService().get());
        } else {
            network.getInterfaces().setEnabled(true).addInterface(settings.host());
            network.setPublicAddress(null);
            config.setProperty("hazelcast.local.localAddress", settings.host());
            // bind the member port on that interface only, not on every address of the host
            config.setProperty("hazelcast.socket.bind.any", "false");
            join.getTcpIpConfig().setEnabled(true).setMembers(settings.effectiveMembers());
        }
        return config;
    }
}
