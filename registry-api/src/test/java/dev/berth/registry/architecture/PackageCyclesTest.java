package dev.berth.registry.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * registry-api's packages form no cycle: every package may be read before the ones that use it. The graph comes
 * from the sources (imports and fully qualified names of {@code dev.berth.registry.*} types), so a dependency
 * written either way counts.
 */
class PackageCyclesTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/berth/registry");
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.berth\\.registry\\.([a-z0-9_]+)\\.[A-Za-z]");
    private static final Set<String> FEATURES = Set.of("blob", "upload", "manifest", "tag", "referrer", "repository", "cache",
            "outbox");


    /** package -> the other registry-api packages its sources name. */
    static Map<String, Set<String>> graph(Path root) {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path dir = root.relativize(file.getParent());
                String pkg = dir.toString().isEmpty() ? "" : dir.getName(0).toString();
                Set<String> uses = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(Files.readString(file));
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        uses.add(m.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** The strongly connected components with more than one package (Tarjan). */
    static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        List<String> stack = new ArrayList<>();
        List<Set<String>> result = new ArrayList<>();
        int[] counter = {0};
        for (String node : graph.keySet()) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, result, counter);
            }
        }
        return result;
    }

    private static void connect(String node, Map<String, Set<String>> graph, Map<String, Integer> index,
            Map<String, Integer> low, List<String> stack, List<Set<String>> result, int[] counter) {
        index.put(node, counter[0]);
        low.put(node, counter[0]);
        counter[0]++;
        stack.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, result, counter);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (stack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> component = new TreeSet<>();
            String member;
            do {
                member = stack.remove(stack.size() - 1);
                component.add(member);
            } while (!member.equals(node));
            if (component.size() > 1) {
                result.add(component);
            }
        }
    }

    @Test
    void registryApiHasNoPackageCycle() {
        Map<String, Set<String>> graph = graph(SOURCES);
        assertThat(graph).containsKeys("route", "http", "auth", "error", "manifest", "blob");
        assertThat(cycles(graph)).as("package cycles in %s", graph).isEmpty();
    }

    @Test
    void featuresNeverUseTheRouterAndTheFrontNeverUsesAFeature() {
        Map<String, Set<String>> graph = graph(SOURCES);
        for (String feature : FEATURES) {
            assertThat(graph.getOrDefault(feature, Set.of())).as(feature).doesNotContain("route", "auth");
        }
        // the low-level HTTP helpers and the error model sit below everything
        for (String base : List.of("http", "error")) {
            assertThat(graph.get(base)).as(base).doesNotContainAnyElementsOf(FEATURES).doesNotContain("route", "auth");
        }
        // the authorizer knows the route table, never the features; the router reaches the authorizer only
        // through its RequestGuard interface
        assertThat(graph.get("auth")).doesNotContainAnyElementsOf(FEATURES);
        assertThat(graph.get("route")).doesNotContain("auth");
    }

    @Test
    void theCheckFindsACycle() {
        Map<String, Set<String>> graph = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"),
                "d", Set.of("a")));
        assertThat(cycles(graph)).containsExactly(Set.of("a", "b", "c"));
        assertThat(cycles(Map.of("a", Set.of("b"), "b", Set.of()))).isEmpty();
    }
}
