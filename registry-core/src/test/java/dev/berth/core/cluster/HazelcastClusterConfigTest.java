package dev.berth.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HazelcastClusterConfigTest {

    @Test
    void loopbackMembersAreListedOneByOneAndNothingIsDiscoveredOtherwise() {
        Config config = HazelcastClusterConfig.build(new ClusterSettings("berth-x", "127.0.0.1", 5701, 3, List.of(),
                Optional.empty()));
        JoinConfig join = config.getNetworkConfig().getJoin();
        assertThat(config.getClusterName()).isEqualTo("berth-x");
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703");
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
        assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
        assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
        assertThat(config.getNetworkConfig().getPortCount()).isEqualTo(3);
        // the event bus's own structures from vertx-hazelcast's defaults survive
        assertThat(config.getMultiMapConfigs()).containsKey("__vertx.subs");
    }

    @Test
    void explicitMembersReplaceTheRange() {
        Config config = HazelcastClusterConfig.build(new ClusterSettings("berth", "10.0.0.5", 5701, 10,
                List.of("10.0.0.5:5701", "10.0.0.6:5701"), Optional.empty()));
        assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
                .containsExactly("10.0.0.5:5701", "10.0.0.6:5701");
    }

    @Test
    void aHeadlessServiceSwitchesToKubernetesDnsDiscovery() {
        Config config = HazelcastClusterConfig.build(new ClusterSettings("berth", "127.0.0.1", 5701, 1, List.of(),
                Optional.of("berth-cluster.berth.svc.cluster.local")));
        JoinConfig join = config.getNetworkConfig().getJoin();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("berth-cluster.berth.svc.cluster.local");
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    }

    @Test
    void aPortCountBelowOneIsRefused() {
        assertThatThrownBy(() -> new ClusterSettings("berth", "127.0.0.1", 5701, 0, List.of(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void customizeHandsVertxTheManagerOnlyWhenClustered() {
        ClusterSettings settings = new ClusterSettings("berth-y", "127.0.0.1", 5701, 2, List.of(), Optional.empty());
        VertxOptions alone = new VertxOptions();
        assertThat(HazelcastClusterConfig.customize(alone, settings, false)).contains("in-process only");
        assertThat(alone.getClusterManager()).isNull();

        VertxOptions clustered = new VertxOptions();
        assertThat(HazelcastClusterConfig.customize(clustered, settings, true))
                .isEqualTo("event bus clustered: Hazelcast cluster 'berth-y', members 127.0.0.1:5701,127.0.0.1:5702");
        assertThat(clustered.getClusterManager()).isInstanceOf(HazelcastClusterManager.class);
        assertThat(HazelcastClusterConfig.customize(new VertxOptions(), new ClusterSettings("berth", "127.0.0.1", 5701, 1,
                List.of(), Optional.of("berth-headless")), true))
                .endsWith("members from the headless Service berth-headless");
    }
}
