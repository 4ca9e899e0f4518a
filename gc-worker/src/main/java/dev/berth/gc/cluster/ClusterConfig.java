package dev.berth.gc.cluster;

import dev.berth.core.cluster.ClusterMapping;
import io.smallrye.config.ConfigMapping;

/** {@code berth.cluster.*} (the settings are shared by every service: see {@link ClusterMapping}). */
@ConfigMapping(prefix = "berth.cluster")
public interface ClusterConfig extends ClusterMapping {
}
