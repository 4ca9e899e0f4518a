package dev.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * podman, buildah and skopeo with a private containers configuration: vfs storage with its own graphroot
 * and runroot, file event log, empty registries.conf, private auth file and temp folder, all under
 * target/. Nothing of the host's /var/lib/containers or /etc/containers settings is used.
 */
public final class ContainersTools implements AutoCloseable {

    private final Path dir;
    private final Map<String, String> env = new LinkedHashMap<>();
    private volatile boolean usedBuildah;

    private ContainersTools(Path dir) {
        this.dir = dir;
    }

    public static ContainersTools create(String name) {
        Path dir = ItPaths.newWorkDir(name);
        ContainersTools tools = new ContainersTools(dir);
        Path graphroot = ItPaths.mkdirs(dir.resolve("graphroot"));
        Path runroot = ItPaths.mkdirs(dir.resolve("runroot"));
        Path tmp = ItPaths.mkdirs(dir.resolve("tmp"));
        Path engineTmp = ItPaths.mkdirs(dir.resolve("engine-tmp"));
        try {
            Files.writeString(dir.resolve("storage.conf"), String.join("\n",
                    "[storage]",
                    "driver = \"vfs\"",
                    "graphroot = \"" + graphroot + "\"",
                    "runroot = \"" + runroot + "\"",
                    ""));
            Files.writeString(dir.resolve("containers.conf"), String.join("\n",
                    "[engine]",
                    "events_logger = \"file\"",
                    "events_logfile_path = \"" + dir.resolve("events.log") + "\"",
                    "tmp_dir = \"" + engineTmp + "\"",
                    "cgroup_manager = \"cgroupfs\"",
                    ""));
            Files.writeString(dir.resolve("registries.conf"), "unqualified-search-registries = []\n");
            Files.writeString(dir.resolve("auth.json"), "{}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tools.env.put("CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString());
        tools.env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
        tools.env.put("CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
        tools.env.put("REGISTRY_AUTH_FILE", dir.resolve("auth.json").toString());
        tools.env.put("TMPDIR", tmp.toString());
        return tools;
    }

    public Path dir() {
        return dir;
    }

    public Command podman(String... args) {
        return command("podman", args);
    }

    public Command buildah(String... args) {
        usedBuildah = true;
        return command("buildah", args);
    }

    public Command skopeo(String... args) {
        return command("skopeo", args);
    }

    private Command command(String tool, String... args) {
        List<String> command = new ArrayList<>();
        command.add(tool);
        command.addAll(List.of(args));
        return Command.of(command).env(env).timeout(Duration.ofMinutes(4));
    }

    /** Removes the working containers left behind, then the storage. */
    @Override
    public void close() {
        if (usedBuildah) {
            buildah("rm", "--all").timeout(Duration.ofSeconds(60)).run();
        }
        if (!ItPaths.keepWorkDirs()) {
            ItPaths.deleteTree(dir.resolve("graphroot"));
            ItPaths.deleteTree(dir.resolve("tmp"));
        }
    }

    @Override
    public String toString() {
        return "containers tools in " + dir;
    }
}
