package dev.berth.it.k8s;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.ItPaths;
import dev.berth.it.harness.Tools;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One overlay of {@code k8s/overlays} rendered with {@code kubectl kustomize} (the kustomize of kubectl, as a user
 * applies it) and parsed into typed fabric8 objects. Rendered once per overlay and test JVM.
 */
final class RenderedManifests {
    /** The Berth services, each a Deployment, a container and an image {@code berth/<name>} of the same name. */
    static final List<String> SERVICES = List.of("registry-api", "token-service", "catalog-service", "gc-worker");

    private static final Map<String, RenderedManifests> RENDERED = new ConcurrentHashMap<>();

    final String overlay;
    final Path file;
    final List<HasMetadata> objects;

    private RenderedManifests(String overlay, Path file, List<HasMetadata> objects) {
        this.overlay = overlay;
        this.file = file;
        this.objects = objects;
    }

    /** {@code kubectl kustomize k8s/overlays/<overlay>}, parsed; skips (fails on CI) without kubectl. */
    static RenderedManifests of(String overlay) {
        Tools.require("kubectl");
        return RENDERED.computeIfAbsent(overlay, RenderedManifests::render);
    }

    private static RenderedManifests render(String overlay) {
        Path dir = ItPaths.repoRoot().resolve("k8s/overlays").resolve(overlay);
        Path out = ItPaths.newWorkDir("kustomize-" + overlay).resolve(overlay + ".yaml");
        // --output keeps kubectl's warnings (stderr, merged by Command) out of the YAML
        Command.of("kubectl", "kustomize", dir.toString(), "--output", out.toString())
                .timeout(Duration.ofSeconds(60)).runOk();
        try {
            return new RenderedManifests(overlay, out, parse(Files.readString(out)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each YAML document as its typed object; a kind fabric8 does not know fails (it would be a typo). */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.isBlank()) {
                continue;
            }
            KubernetesResource resource = Serialization.unmarshal(document);
            if (!(resource instanceof HasMetadata object)
                    || object.getClass() == io.fabric8.kubernetes.api.model.GenericKubernetesResource.class) {
                throw new AssertionError("not a known Kubernetes kind: " + resource + "\n" + document);
            }
            objects.add(object);
        }
        return objects;
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
        return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(
                overlay + ": no " + kind.getSimpleName() + " " + name + " in " + file));
    }

    /** The Deployments of the Berth services (not the dev overlay's PostgreSQL, S3, Infinispan, Keycloak). */
    List<Deployment> berthDeployments() {
        return SERVICES.stream().map(name -> get(Deployment.class, name)).toList();
    }

    /** Whether every pair of {@code selector} is among {@code labels} (an empty selector selects nothing here). */
    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null
                && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}
