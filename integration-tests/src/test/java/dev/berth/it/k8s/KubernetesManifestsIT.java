package dev.berth.it.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.it.harness.ItPaths;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kustomize base and overlays in {@code k8s/}: each overlay renders with {@code kubectl kustomize}, every object
 * parses into its typed fabric8 model, and the rules of docs/kubernetes.md hold, checked against the services' own
 * sources (ports, health endpoints, shutdown timeouts, setting names, the token-service paths, the gc metric). No
 * cluster can run here: {@link KubePlayIT} starts the dev overlay's workloads with podman.
 */
class KubernetesManifestsIT {
    /** Secrets an operator creates before applying prod (documented in k8s/README.md), with their keys. */
    static final Map<String, Set<String>> EXTERNAL_SECRETS = Map.of(
            "berth-database", Set.of("username", "password"),
            "berth-s3", Set.of("access-key", "secret-key"),
            "berth-infinispan", Set.of("username", "password"),
            "berth-keycloak", Set.of("client-secret"));
    /** Variables of the pod, not settings of a service. */
    static final Set<String> POD_VARIABLES = Set.of("POD_IP", "POD_NAMESPACE", "JAVA_TOOL_OPTIONS");
    static final int PRE_STOP_SECONDS_MAX = 10;

    private static Container container(Deployment deployment) {
        List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).as("containers of %s", deployment.getMetadata().getName()).hasSize(1);
        return containers.get(0);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void replicasAndAutoscaling(String overlay) {
        RenderedManifests k8s = RenderedManifests.of(overlay);
        assertThat(k8s.get(Deployment.class, "registry-api").getSpec().getReplicas()).isEqualTo(3);
        assertThat(k8s.get(Deployment.class, "token-service").getSpec().getReplicas()).isEqualTo(2);
        assertThat(k8s.get(Deployment.class, "catalog-service").getSpec().getReplicas()).isEqualTo(2);
        // the autoscaler owns gc-worker's count: a replicas field would fight it on every apply
        assertThat(k8s.get(Deployment.class, "gc-worker").getSpec().getReplicas()).isNull();

        HorizontalPodAutoscaler hpa = k8s.get(HorizontalPodAutoscaler.class, "gc-worker");
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getApiVersion()).isEqualTo("apps/v1");
        k8s.get(Deployment.class, hpa.getSpec().getScaleTargetRef().getName());
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("gc-worker");
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(1);
        assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThan(hpa.getSpec().getMinReplicas());

        // one External metric per queue that gc-worker reports, named as the adapter rule exposes it
        ServiceModule gc = ServiceModule.of("gc-worker");
        assertThat(gc.sourceContains("\"berth.gc.backlog\"")).as("gc-worker registers berth.gc.backlog").isTrue();
        String rules = read(ItPaths.repoRoot().resolve("k8s/monitoring/prometheus-adapter-rules.yaml"));
        List<String> queues = new ArrayList<>();
        for (MetricSpec metric : hpa.getSpec().getMetrics()) {
            assertThat(metric.getType()).isEqualTo("External");
            assertThat(metric.getExternal().getMetric().getName()).isEqualTo("berth_gc_backlog");
            assertThat(rules).contains("as: " + metric.getExternal().getMetric().getName())
                    .contains("seriesQuery: 'berth_gc_backlog{");
            assertThat(metric.getExternal().getTarget().getType()).isEqualTo("AverageValue");
            queues.add(metric.getExternal().getMetric().getSelector().getMatchLabels().get("queue"));
        }
        String gcMetrics = read(gc.dir.resolve("src/main/java/dev/berth/gc/metrics/GcMetrics.java"));
        Matcher declared = Pattern.compile("QUEUES = \\{([^}]*)}").matcher(gcMetrics);
        assertThat(declared.find()).as("GcMetrics.QUEUES").isTrue();
        assertThat(queues).containsExactlyInAnyOrder(declared.group(1).replace("\"", "").split(",\\s*"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void probesUseTheServicesHealthEndpointsOnTheirPorts(String overlay) {
        for (Deployment deployment : RenderedManifests.of(overlay).berthDeployments()) {
            String name = deployment.getMetadata().getName();
            ServiceModule module = ServiceModule.of(name);
            assertThat(module.hasDependency("quarkus-smallrye-health")).as("%s serves /q/health", name).isTrue();
            Container container = container(deployment);
            assertThat(container.getName()).isEqualTo(name);
            // application.properties binds 127.0.0.1 (local runs); in a pod the kubelet and Services come from outside
            assertThat(env(container)).containsEntry("QUARKUS_HTTP_HOST", "0.0.0.0");
            Map<String, Probe> probes = Map.of("/q/health/started", container.getStartupProbe(),
                    "/q/health/live", container.getLivenessProbe(), "/q/health/ready", container.getReadinessProbe());
            probes.forEach((path, probe) -> {
                assertThat(probe).as("%s probe %s", name, path).isNotNull();
                HTTPGetAction get = probe.getHttpGet();
                assertThat(get.getPath()).as(name).isEqualTo(path);
                assertThat(containerPort(container, get.getPort())).as("%s probe port of %s", name, path)
                        .isEqualTo(module.httpPort());
            });
            // start-up covers Flyway's migrations (other replicas may hold the migration lock meanwhile)
            Probe startup = container.getStartupProbe();
            assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).as(name).isGreaterThanOrEqualTo(60);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void gracefulShutdownOutlastsTheServicesShutdownTimeout(String overlay) {
        for (Deployment deployment : RenderedManifests.of(overlay).berthDeployments()) {
            String name = deployment.getMetadata().getName();
            Container container = container(deployment);
            List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
            assertThat(preStop).as("%s preStop", name).hasSize(2).first().isEqualTo("sleep");
            long sleep = Long.parseLong(preStop.get(1));
            assertThat(sleep).isBetween(1L, (long) PRE_STOP_SECONDS_MAX);
            long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            long timeout = ServiceModule.of(name).shutdownTimeout().toSeconds();
            // the grace period counts from the start of preStop; SIGTERM comes after the sleep
            assertThat(grace).as("%s terminationGracePeriodSeconds vs preStop %ss + quarkus.shutdown.timeout %ss",
                    name, sleep, timeout).isGreaterThan(sleep + timeout);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void podsRunNonRootOnAReadOnlyRootWithAWritableTmp(String overlay) {
        for (Deployment deployment : RenderedManifests.of(overlay).berthDeployments()) {
            String name = deployment.getMetadata().getName();
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).as(name).isEqualTo(10001L);
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name).isEqualTo("RuntimeDefault");
            assertThat(pod.getAutomountServiceAccountToken()).as(name).isFalse();
            Container container = container(deployment);
            var security = container.getSecurityContext();
            assertThat(security.getRunAsNonRoot()).as(name).isTrue();
            assertThat(security.getReadOnlyRootFilesystem()).as(name).isTrue();
            assertThat(security.getAllowPrivilegeEscalation()).as(name).isFalse();
            assertThat(security.getPrivileged()).as(name).isNotEqualTo(Boolean.TRUE);
            assertThat(security.getCapabilities().getDrop()).as(name).containsExactly("ALL");
            assertThat(security.getCapabilities().getAdd()).as(name).isNullOrEmpty();
            var tmp = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst();
            assertThat(tmp).as("%s mounts /tmp", name).isPresent();
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.get().getName())).findFirst()
                    .orElseThrow();
            assertThat(volume.getEmptyDir()).as("%s /tmp is an emptyDir", name).isNotNull();
            assertThat(container.getResources().getRequests()).as(name).containsKeys("cpu", "memory");
            assertThat(container.getResources().getLimits()).as(name).containsKey("memory");
            assertThat(pod.getTopologySpreadConstraints()).as("%s spreads over nodes", name)
                    .anyMatch(c -> c.getTopologyKey().equals("kubernetes.io/hostname")
                            && RenderedManifests.selects(c.getLabelSelector().getMatchLabels(), labels(deployment)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void disruptionBudgetsSelectPodsAndLeaveRoomToDrain(String overlay) {
        RenderedManifests k8s = RenderedManifests.of(overlay);
        assertThat(k8s.all(PodDisruptionBudget.class)).hasSize(RenderedManifests.SERVICES.size());
        for (PodDisruptionBudget pdb : k8s.all(PodDisruptionBudget.class)) {
            Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
            List<Deployment> selected = k8s.all(Deployment.class).stream()
                    .filter(d -> RenderedManifests.selects(selector, labels(d))).toList();
            assertThat(selected).as("pods of PDB %s", pdb.getMetadata().getName()).hasSize(1);
            Deployment deployment = selected.get(0);
            assertThat(deployment.getMetadata().getName()).isEqualTo(pdb.getMetadata().getName());
            IntOrString minAvailable = pdb.getSpec().getMinAvailable();
            if (minAvailable != null) {
                // a budget that allows no eviction blocks every node drain
                assertThat(minAvailable.getIntVal()).as(pdb.getMetadata().getName())
                        .isLessThan(deployment.getSpec().getReplicas()).isGreaterThanOrEqualTo(1);
            } else {
                assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isGreaterThanOrEqualTo(1);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void everyReferencedSettingKeyAndVariableExists(String overlay) {
        RenderedManifests k8s = RenderedManifests.of(overlay);
        for (Deployment deployment : k8s.all(Deployment.class)) {
            String name = deployment.getMetadata().getName();
            PodTemplateSpec template = deployment.getSpec().getTemplate();
            for (Container container : template.getSpec().getContainers()) {
                for (EnvVar var : container.getEnv()) {
                    var from = var.getValueFrom();
                    if (from != null && from.getConfigMapKeyRef() != null) {
                        assertThat(configMapKeys(k8s, from.getConfigMapKeyRef().getName()))
                                .as("%s %s", name, var.getName()).contains(from.getConfigMapKeyRef().getKey());
                    }
                    if (from != null && from.getSecretKeyRef() != null) {
                        assertThat(secretKeys(k8s, from.getSecretKeyRef().getName()))
                                .as("%s %s", name, var.getName()).contains(from.getSecretKeyRef().getKey());
                    }
                }
            }
            for (Volume volume : template.getSpec().getVolumes() == null ? List.<Volume>of() : template.getSpec().getVolumes()) {
                if (volume.getConfigMap() != null) {
                    assertThat(configMapKeys(k8s, volume.getConfigMap().getName())).as("%s volume", name).isNotEmpty();
                }
            }
        }
        // the variables are settings the services really read (a misspelt one is silently ignored)
        for (Deployment deployment : k8s.berthDeployments()) {
            ServiceModule module = ServiceModule.of(deployment.getMetadata().getName());
            for (EnvVar var : container(deployment).getEnv()) {
                if (!POD_VARIABLES.contains(var.getName())) {
                    assertThat(module.reads(var.getName())).as("%s reads %s", module.name, var.getName()).isTrue();
                }
            }
        }
        if (overlay.equals("prod")) {
            assertThat(k8s.all(Secret.class)).as("prod creates no Secret: they are the operator's").isEmpty();
            String readme = read(ItPaths.repoRoot().resolve("k8s/README.md"));
            EXTERNAL_SECRETS.forEach((secret, keys) -> {
                assertThat(readme).as("k8s/README.md documents %s", secret).contains("`" + secret + "`");
                keys.forEach(key -> assertThat(readme).as("k8s/README.md documents %s/%s", secret, key)
                        .contains("`" + key + "`"));
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void servicesReachDeclaredPortsAndTheEventBusIsDiscoverable(String overlay) {
        RenderedManifests k8s = RenderedManifests.of(overlay);
        for (Service service : k8s.all(Service.class)) {
            String name = service.getMetadata().getName();
            List<Deployment> selected = k8s.all(Deployment.class).stream()
                    .filter(d -> RenderedManifests.selects(service.getSpec().getSelector(), labels(d))).toList();
            assertThat(selected).as("pods of Service %s", name).isNotEmpty();
            for (ServicePort port : service.getSpec().getPorts()) {
                for (Deployment deployment : selected) {
                    assertThat(containerPort(container(deployment), port.getTargetPort()))
                            .as("Service %s port %s in %s", name, port.getName(), deployment.getMetadata().getName())
                            .isPositive();
                }
            }
        }
        for (String name : RenderedManifests.SERVICES) {
            Service service = k8s.get(Service.class, name);
            assertThat(service.getSpec().getPorts()).singleElement()
                    .satisfies(p -> assertThat(p.getPort()).isEqualTo(ServiceModule.of(name).httpPort()));
        }

        Service cluster = k8s.get(Service.class, "berth-cluster");
        assertThat(cluster.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(cluster.getSpec().getPublishNotReadyAddresses()).isTrue();
        // Hazelcast's DNS discovery contacts each address on 5701 (no service-port set): ClusterMapping's default port
        assertThat(cluster.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(5701));
        assertThat(read(ItPaths.repoRoot().resolve("registry-core/src/main/java/dev/berth/core/cluster/ClusterMapping.java")))
                .contains("@WithDefault(\"5701\")\n    int port();");
        List<String> members = k8s.all(Deployment.class).stream()
                .filter(d -> RenderedManifests.selects(cluster.getSpec().getSelector(), labels(d)))
                .map(d -> d.getMetadata().getName()).toList();
        assertThat(members).containsExactlyInAnyOrder("registry-api", "catalog-service", "gc-worker");
        for (String member : members) {
            Map<String, String> env = env(container(k8s.get(Deployment.class, member)));
            assertThat(env.get("BERTH_CLUSTER_KUBERNETES_SERVICE")).as(member).startsWith("berth-cluster.");
            assertThat(env.get("BERTH_CLUSTER_HOST")).as("%s announces its pod address", member).isEqualTo("$(POD_IP)");
            assertThat(env).as(member).doesNotContainKey("BERTH_CLUSTER_PORT").doesNotContainKey("BERTH_CLUSTERED");
        }
        assertThat(env(container(k8s.get(Deployment.class, "token-service")))).doesNotContainKey("BERTH_CLUSTER_KUBERNETES_SERVICE");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void ingressRoutesToExistingServicesOnTheServicesRealPaths(String overlay) {
        RenderedManifests k8s = RenderedManifests.of(overlay);
        Ingress ingress = k8s.get(Ingress.class, "berth");
        Map<String, String> routes = new HashMap<>();
        for (var rule : ingress.getSpec().getRules()) {
            for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                IngressServiceBackend backend = path.getBackend().getService();
                Service service = k8s.get(Service.class, backend.getName());
                assertThat(service.getSpec().getPorts()).as("%s -> %s", path.getPath(), backend.getName())
                        .anyMatch(p -> backend.getPort().getName() != null ? backend.getPort().getName().equals(p.getName())
                                : backend.getPort().getNumber().equals(p.getPort()));
                routes.put(path.getPath(), backend.getName());
            }
        }
        assertThat(routes).containsEntry("/v2", "registry-api").containsEntry("/token", "token-service")
                .containsEntry("/.well-known/jwks.json", "token-service");
        ServiceModule token = ServiceModule.of("token-service");
        assertThat(token.sourceContains("@Path(\"/token\")")).isTrue();
        assertThat(token.sourceContains("@Path(\"/.well-known/jwks.json\")")).isTrue();
        ServiceModule catalog = ServiceModule.of("catalog-service");
        routes.forEach((path, service) -> {
            if (service.equals("catalog-service")) {
                assertThat(catalog.sourceContains("@Path(\"" + path + "\")")).as(path).isTrue();
            }
        });
        // registry-api's 401 challenge sends clients to the token endpoint on the Ingress host
        String realm = configMapValue(k8s, "berth-config", "auth.realm");
        boolean tls = ingress.getSpec().getTls() != null && !ingress.getSpec().getTls().isEmpty();
        assertThat(realm).isEqualTo((tls ? "https://" : "http://")
                + ingress.getSpec().getRules().get(0).getHost() + "/token");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dev", "prod"})
    void imagesAreTheBerthImagesOfThisVersion(String overlay) {
        String version = projectVersion();
        for (Deployment deployment : RenderedManifests.of(overlay).berthDeployments()) {
            String name = deployment.getMetadata().getName();
            String image = container(deployment).getImage();
            assertThat(image).as(name).matches("([^/]+/)+berth/" + Pattern.quote(name) + ":" + Pattern.quote(version));
        }
    }

    @Test
    void devKeycloakRealmIsTheRealmOfDeployKeycloak() throws IOException {
        RenderedManifests k8s = RenderedManifests.of("dev");
        Path realm = ItPaths.repoRoot().resolve("deploy/keycloak/berth-realm.json");
        assertThat(configMapValue(k8s, "keycloak-realm", "berth-realm.json")).isEqualTo(Files.readString(realm));
        // token-service's client secret is the realm's
        String secret = secretValue(k8s, "berth-keycloak", "client-secret");
        assertThat(Files.readString(realm)).contains("\"secret\": \"" + secret + "\"");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    static Map<String, String> labels(Deployment deployment) {
        return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }

    static Map<String, String> env(Container container) {
        Map<String, String> env = new HashMap<>();
        container.getEnv().forEach(v -> env.put(v.getName(), v.getValue()));
        return env;
    }

    /** The container port a probe or Service names (by name or number); -1 when the container has none such. */
    static int containerPort(Container container, IntOrString port) {
        for (ContainerPort declared : container.getPorts()) {
            if (port.getStrVal() != null ? port.getStrVal().equals(declared.getName())
                    : port.getIntVal().equals(declared.getContainerPort())) {
                return declared.getContainerPort();
            }
        }
        return -1;
    }

    /** The keys of a ConfigMap of the overlay (kustomize gives generated ones a hash suffix and rewrites references). */
    static Set<String> configMapKeys(RenderedManifests k8s, String name) {
        ConfigMap map = k8s.find(ConfigMap.class, name).orElseThrow(() -> new AssertionError(
                k8s.overlay + ": ConfigMap " + name + " is referenced but not rendered"));
        return map.getData().keySet();
    }

    static String configMapValue(RenderedManifests k8s, String prefix, String key) {
        return k8s.all(ConfigMap.class).stream().filter(m -> m.getMetadata().getName().startsWith(prefix + "-"))
                .findFirst().orElseThrow().getData().get(key);
    }

    static Set<String> secretKeys(RenderedManifests k8s, String name) {
        var secret = k8s.find(Secret.class, name);
        if (secret.isPresent()) {
            return secret.get().getData().keySet();
        }
        // not rendered: it must be one the operator creates (prod), with the documented keys
        assertThat(k8s.overlay).as("Secret %s is referenced but not rendered", name).isEqualTo("prod");
        assertThat(EXTERNAL_SECRETS).as("documented external Secrets").containsKey(name);
        return EXTERNAL_SECRETS.get(name);
    }

    static String secretValue(RenderedManifests k8s, String prefix, String key) {
        Secret secret = k8s.all(Secret.class).stream().filter(s -> s.getMetadata().getName().startsWith(prefix + "-"))
                .findFirst().orElseThrow();
        return new String(Base64.getDecoder().decode(secret.getData().get(key)));
    }

    static String projectVersion() {
        Matcher version = Pattern.compile("<artifactId>berth-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(read(ItPaths.repoRoot().resolve("pom.xml")));
        assertThat(version.find()).as("version in pom.xml").isTrue();
        return version.group(1).trim();
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
