package dev.berth.registry.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * registry-api's feature packages depend on each other in one direction only (for example {@code cache}
 * decorates {@code manifest}'s store, so {@code manifest} knows nothing of the cache), as the compiled
 * classes show. {@code route} and {@code auth} are left out while the route table is being split from the
 * low-level HTTP helpers (issue 10); once no feature package imports {@code route}, they belong in here too.
 */
class PackageCyclesTest {
    private static final Set<String> EXCLUDED = Set.of("route", "auth");
    private static final Pattern REFERENCE = Pattern.compile("dev/berth/registry/([a-z]+)/");

    @Test
    void featurePackagesHaveNoCycles() {
        Map<String, Set<String>> uses = dependencies();
        assertThat(uses.keySet()).contains("manifest", "cache", "tag", "blob", "upload", "repository", "referrer",
                "outbox");
        assertThat(uses.get("cache")).as("the check sees dependencies").contains("manifest");
        assertThat(cycles(uses)).isEmpty();
    }

    /** Package → packages its classes name, both under dev.berth.registry, without {@link #EXCLUDED}. */
    private static Map<String, Set<String>> dependencies() {
        Map<String, Set<String>> uses = new TreeMap<>();
        CompiledClasses.all().forEach((path, bytes) -> {
            Matcher own = REFERENCE.matcher(path);
            if (!own.lookingAt() || EXCLUDED.contains(own.group(1))) {
                return;
            }
            Set<String> targets = uses.computeIfAbsent(own.group(1), p -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(bytes);
            while (m.find()) {
                if (!m.group(1).equals(own.group(1)) && !EXCLUDED.contains(m.group(1))) {
                    targets.add(m.group(1));
                }
            }
        });
        return uses;
    }

    /** Every cycle found by a depth-first walk, as "a -> b -> a". */
    private static List<String> cycles(Map<String, Set<String>> uses) {
        List<String> found = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : uses.keySet()) {
            walk(start, uses, new ArrayDeque<>(), done, found);
        }
        return found;
    }

    private static void walk(String pkg, Map<String, Set<String>> uses, Deque<String> path, Set<String> done,
            List<String> found) {
        if (path.contains(pkg)) {
            List<String> cycle = new ArrayList<>();
            boolean in = false;
            for (var it = path.descendingIterator(); it.hasNext();) {
                String p = it.next();
                in |= p.equals(pkg);
                if (in) {
                    cycle.add(p);
                }
            }
            cycle.add(pkg);
            found.add(String.join(" -> ", cycle));
            return;
        }
        if (done.contains(pkg)) {
            return;
        }
        path.push(pkg);
        for (String next : uses.getOrDefault(pkg, Set.of())) {
            walk(next, uses, path, done, found);
        }
        path.pop();
        done.add(pkg);
    }
}
