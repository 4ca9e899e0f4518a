package dev.berth.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An event-bus cluster of its own for the processes of one test: a unique {@code berth.cluster.name} and a
 * Hazelcast member port range found free on 127.0.0.1, so that tests in parallel worktrees (and a local
 * {@code deploy/local/up} on the default 5701-5710) never join each other.
 */
public record TestCluster(String name, int port, int portCount) {

    /** A fresh cluster with {@code portCount} consecutive free member ports. */
    public static TestCluster fresh(int portCount) {
        String name = "berth-it-" + UUID.randomUUID().toString().substring(0, 8);
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            if (allFree(base, portCount)) {
                return new TestCluster(name, base, portCount);
            }
        }
        throw new AssertionError("no " + portCount + " consecutive free ports on 127.0.0.1 for the test cluster");
    }

    private static boolean allFree(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** The settings that put a service into this cluster (clustering switched on explicitly). */
    public Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("quarkus.vertx.cluster.clustered", "true");
        properties.put("quarkus.vertx.cluster.host", "127.0.0.1");
        properties.put("berth.cluster.host", "127.0.0.1");
        properties.put("berth.cluster.name", name);
        properties.put("berth.cluster.port", Integer.toString(port));
        properties.put("berth.cluster.port-count", Integer.toString(portCount));
        return properties;
    }
}
