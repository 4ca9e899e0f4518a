package dev.berth.core.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a service joins the Hazelcast cluster under its clustered Vert.x event bus. Each service maps its
 * {@code berth.cluster.*} settings onto this record (see docs/events.md, "Clustering").
 *
 * @param name              the cluster name; members with another name never join (tests use a unique one)
 * @param host              the interface Hazelcast binds and announces (127.0.0.1 locally)
 * @param port              the first Hazelcast member port; a process takes the first free one of
 *                          {@code port .. port + portCount - 1}
 * @param portCount         how many member ports the processes on one host may use
 * @param members           members to contact ({@code host:port}); empty means every port of the range on
 *                          {@code host}
 * @param kubernetesService the DNS name of a headless Service: when set, members are discovered through it
 *                          (Hazelcast's Kubernetes DNS discovery) instead of the member list
 */
public record ClusterSettings(String name, String host, int port, int portCount, List<String> members,
        Optional<String> kubernetesService) {

    public ClusterSettings {
        if (portCount < 1) {
            throw new IllegalArgumentException("berth.cluster.port-count must be at least 1");
        }
        members = members == null ? List.of() : List.copyOf(members);
    }

    /** The members to contact: the configured ones, or each port of the range on {@code host}, one by one. */
    public List<String> effectiveMembers() {
        if (!members.isEmpty()) {
            return members;
        }
        // Hazelcast's tcp-ip join refuses port ranges in member addresses here, so list every port
        List<String> all = new ArrayList<>();
        for (int p = port; p < port + portCount; p++) {
            all.add(host + ":" + p);
        }
        return all;
    }
}
