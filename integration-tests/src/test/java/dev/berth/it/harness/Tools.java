package dev.berth.it.harness;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Availability of the real clients. A missing tool skips the test with a printed reason on a developer
 * machine, and fails it when {@code CI=true}: CI must have every client installed.
 */
public final class Tools {

    private Tools() {
    }

    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The executable's path on PATH, or null. */
    public static Path find(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Skips (or on CI fails) the calling test unless every named tool is on PATH. */
    public static void require(String... names) {
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (find(name) == null) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            unavailable("missing tool(s) " + missing + " on PATH (" + System.getenv("PATH")
                    + "); install them (Debian: skopeo, podman, buildah, docker.io)");
        }
    }

    /** Skips (or on CI fails) the calling test unless it runs as root. */
    public static void requireRoot(String why) {
        if (!isRoot()) {
            unavailable("needs root: " + why);
        }
    }

    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Fails on CI, skips elsewhere; the reason is printed either way. */
    public static void unavailable(String reason) {
        if (onCi()) {
            System.out.println("[berth-it] FAIL (CI=true): " + reason);
            Assertions.fail("CI=true and " + reason);
        }
        System.out.println("[berth-it] SKIP: " + reason);
        Assumptions.abort(reason);
    }
}
