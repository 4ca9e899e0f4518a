package dev.berth.it.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.berth.it.harness.Command;
import dev.berth.it.harness.ItPaths;

/**
 * podman (and skopeo) with private storage and settings: the verified settings of
 * {@code deploy/podman/containers.conf} (no default ulimits, cgroupfs) plus a private event log and engine temp
 * folder, overlay storage (native overlay as root; vfs would copy the 300 MB base once per layer) with its own graphroot and runroot, an empty registries.conf and a private auth file, all
 * in one folder under target/. Every podman command runs with {@code --runtime /usr/sbin/runc}. Nothing of the
 * user's images, containers or /etc/containers settings is used or changed. {@link #close()} removes every
 * container and image of this storage, then the folder.
 */
public final class Podman implements AutoCloseable {

    public static final String RUNC = "/usr/sbin/runc";

    private final Path dir;
    private final Map<String, String> env = new LinkedHashMap<>();

    private Podman(Path dir) {
        this.dir = dir;
    }

    /** A private podman under a fresh work folder named {@code name}. */
    public static Podman create(String name) {
        Path dir = ItPaths.newWorkDir(name);
        Podman podman = new Podman(dir);
        try {
            Path graphroot = Files.createDirectories(dir.resolve("graphroot"));
            Path runroot = Files.createDirectories(dir.resolve("runroot"));
            Path tmp = Files.createDirectories(dir.resolve("tmp"));
            Path engineTmp = Files.createDirectories(dir.resolve("engine-tmp"));
            Files.writeString(dir.resolve("storage.conf"), String.join("\n",
                    "[storage]", "driver = \"overlay\"", "graphroot = \"" + graphroot + "\"", "runroot = \"" + runroot + "\"", ""));
            Files.writeString(dir.resolve("containers.conf"), privateContainersConf(dir, engineTmp));
            Files.writeString(dir.resolve("registries.conf"), "unqualified-search-registries = []\n");
            Files.writeString(dir.resolve("auth.json"), "{}\n");
            podman.env.put("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString());
            podman.env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
            podman.env.put("CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
            podman.env.put("REGISTRY_AUTH_FILE", dir.resolve("auth.json").toString());
            podman.env.put("TMPDIR", tmp.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return podman;
    }

    /**
     * deploy/podman/containers.conf (the settings a user runs with) with this instance's event log and engine
     * temp folder added to its [engine] table, so that the tests run with exactly the documented settings.
     */
    private static String privateContainersConf(Path dir, Path engineTmp) throws IOException {
        Path shared = ItPaths.repoRoot().resolve("deploy/podman/containers.conf");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(shared)) {
            if (line.trim().startsWith("events_logger")) {
                continue;
            }
            out.add(line);
            if (line.trim().equals("[engine]")) {
                out.add("events_logger = \"file\"");
                out.add("events_logfile_path = \"" + dir.resolve("events.log") + "\"");
                out.add("tmp_dir = \"" + engineTmp + "\"");
            }
        }
        if (!out.contains("[engine]")) {
            throw new AssertionError(shared + " has no [engine] table");
        }
        return String.join("\n", out) + "\n";
    }

    /** {@code podman --runtime /usr/sbin/runc ARGS...} with this instance's settings (4 minutes at most). */
    public Command podman(String... args) {
        List<String> command = new ArrayList<>(List.of("podman", "--runtime", RUNC));
        command.addAll(List.of(args));
        return Command.of(command).env(env).timeout(Duration.ofMinutes(4));
    }

    /** {@code skopeo ARGS...} with this instance's registries.conf, auth file and temp folder. */
    public Command skopeo(String... args) {
        List<String> command = new ArrayList<>(List.of("skopeo"));
        command.addAll(List.of(args));
        return Command.of(command).env(env).timeout(Duration.ofMinutes(4));
    }

    /** The environment every command of this instance runs with (CONTAINERS_CONF, storage, auth, TMPDIR). */
    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    public Path dir() {
        return dir;
    }

    /** Removes every container (stopping it) and image of this storage, then the storage itself. */
    @Override
    public void close() {
        podman("rm", "--all", "--force", "--time", "5").timeout(Duration.ofMinutes(2)).run();
        podman("rmi", "--all", "--force").timeout(Duration.ofMinutes(2)).run();
        if (!ItPaths.keepWorkDirs()) {
            ItPaths.deleteTree(dir.resolve("graphroot"));
            ItPaths.deleteTree(dir.resolve("runroot"));
            ItPaths.deleteTree(dir.resolve("tmp"));
            ItPaths.deleteTree(dir.resolve("engine-tmp"));
        }
    }

    @Override
    public String toString() {
        return "podman in " + dir;
    }
}
