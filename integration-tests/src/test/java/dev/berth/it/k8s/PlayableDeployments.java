package dev.berth.it.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dev overlay's Berth Deployments, changed as little as {@code podman kube play} (podman 4.3) needs, every change
 * listed in docs/kubernetes.md ("podman kube play: what it does not support"):
 * <ul>
 * <li>one replica (podman plays each replica as a pod, which would collide on the host network) and
 * {@code hostNetwork: true} (no Services, no DNS: the pods and the harness's PostgreSQL, S3 and Infinispan meet on
 * 127.0.0.1), with a free HTTP port per service instead of 5000-5003, no {@code ports} (refused on the host network)
 * and the probes on that port by number;</li>
 * <li>the values of the ConfigMap {@code berth-config} and of the Secrets point at the harness's servers
 * ({@link #configValue}, {@link #secretValue});</li>
 * <li>{@code configMapKeyRef}, {@code secretKeyRef} (podman reads Secrets from its own store), the downward API's
 * {@code status.podIP} and {@code metadata.namespace} and {@code $(VAR)} references (not expanded by podman)
 * resolved into plain values here;</li>
 * <li>the event bus on loopback (a free Hazelcast port range, a unique cluster name, no DNS discovery, the
 * event-bus port left to the system: the pods share one network);</li>
 * <li>{@code /tmp}: podman makes an {@code emptyDir} a root-owned 0755 named volume (ignoring {@code fsGroup}),
 * which uid 10001 cannot write; a {@code hostPath} folder of mode 1777 per pod stands in for it;</li>
 * <li>the image: the one the harness built and pushed.</li>
 * </ul>
 * The security context, resources, probes and everything else stay as rendered.
 */
final class PlayableDeployments {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final RenderedManifests dev;
    private final Map<String, String> configValues = new HashMap<>();
    private final Map<String, Map<String, String>> secretValues = new HashMap<>();
    private final Map<String, String> extraEnv = new LinkedHashMap<>();

    PlayableDeployments(RenderedManifests dev) {
        this.dev = dev;
    }

    /** Replaces a value of {@code berth-config}. */
    PlayableDeployments configValue(String key, String value) {
        KubernetesManifestsIT.configMapValue(dev, "berth-config", key); // exists
        configValues.put(key, value);
        return this;
    }

    /** Replaces a value of a Secret (by its name without kustomize's hash suffix). */
    PlayableDeployments secretValue(String secret, String key, String value) {
        secretValues.computeIfAbsent(secret, s -> new HashMap<>()).put(key, value);
        return this;
    }

    /** A variable added to (or replacing one of) every container. */
    PlayableDeployments env(String name, String value) {
        extraEnv.put(name, value);
        return this;
    }

    /**
     * The Deployment {@code name} made playable: {@code image} its image, {@code httpPort} its HTTP port, {@code tmp}
     * the folder mounted on /tmp, {@code overrides} variables of this container only (an empty value removes one).
     */
    Deployment playable(String name, String image, int httpPort, Path tmp, Map<String, String> overrides) {
        Deployment deployment = Serialization.clone(dev.get(Deployment.class, name));
        deployment.getSpec().setReplicas(1);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        pod.setHostNetwork(true);
        Container container = pod.getContainers().get(0);
        container.setImage(image);
        // podman refuses port declarations on the host network ("PortMappings can only be used with Bridge or
        // slirp4netns networking"): the container listens on the host directly, and the probes name the number
        container.setPorts(List.of());
        for (Probe probe : new Probe[] {container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe()}) {
            probe.getHttpGet().setPort(new IntOrString(httpPort));
        }

        Map<String, String> values = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            values.put(var.getName(), var.getValueFrom() == null ? var.getValue() : resolve(deployment, var.getValueFrom()));
        }
        values.replaceAll((key, value) -> expand(value, values));
        values.remove("BERTH_CLUSTER_KUBERNETES_SERVICE");
        values.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        values.putAll(extraEnv);
        values.putAll(overrides);
        values.values().removeIf(String::isEmpty); // an empty override removes the variable
        List<EnvVar> env = new ArrayList<>();
        values.forEach((key, value) -> env.add(new EnvVar(key, value, null)));
        container.setEnv(env);

        for (Volume volume : pod.getVolumes()) {
            if (volume.getEmptyDir() != null) {
                volume.setEmptyDir(null);
                volume.setHostPath(new HostPathVolumeSource(tmp.toString(), "Directory"));
            }
        }
        return deployment;
    }

    private String resolve(Deployment deployment, EnvVarSource from) {
        if (from.getConfigMapKeyRef() != null) {
            String key = from.getConfigMapKeyRef().getKey();
            if (configValues.containsKey(key) && from.getConfigMapKeyRef().getName().startsWith("berth-config-")) {
                return configValues.get(key);
            }
            return dev.get(ConfigMap.class, from.getConfigMapKeyRef().getName()).getData().get(key);
        }
        if (from.getSecretKeyRef() != null) {
            Secret secret = dev.get(Secret.class, from.getSecretKeyRef().getName());
            String base = secret.getMetadata().getName().replaceFirst("-[a-z0-9]{10}$", "");
            String key = from.getSecretKeyRef().getKey();
            Map<String, String> replaced = secretValues.getOrDefault(base, Map.of());
            if (replaced.containsKey(key)) {
                return replaced.get(key);
            }
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        if (from.getFieldRef() != null) {
            Function<Deployment, String> field = switch (from.getFieldRef().getFieldPath()) {
                case "status.podIP" -> d -> "127.0.0.1";
                case "metadata.namespace" -> d -> "berth";
                case "metadata.name" -> d -> d.getMetadata().getName() + "-pod-0";
                default -> throw new AssertionError("unexpected fieldRef " + from.getFieldRef().getFieldPath());
            };
            return field.apply(deployment);
        }
        throw new AssertionError("unexpected valueFrom " + from);
    }

    /** Kubernetes' {@code $(VAR)} expansion of the variables defined before. */
    private static String expand(String value, Map<String, String> defined) {
        if (value == null) {
            return null;
        }
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = defined.getOrDefault(m.group(1), m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
