package dev.berth.core.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

/**
 * The Hazelcast configuration of a Berth service: vertx-hazelcast's own defaults (the {@code __vertx.*}
 * maps, multimap and semaphores the event bus needs) with the network replaced by an explicit join, either
 * the member list on loopback (local runs, tests) or Kubernetes DNS discovery through a headless Service.
 * Multicast and auto-detection are always off: a registry must never join a cluster it happens to see.
 */
public final class HazelcastClusterConfig {

    private HazelcastClusterConfig() {
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
