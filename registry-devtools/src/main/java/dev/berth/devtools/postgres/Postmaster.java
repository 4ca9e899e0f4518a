package dev.berth.devtools.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.zonky.test.db.postgres.util.LinuxUtils;

/**
 * What can be learnt about a PostgreSQL server from its data directory: the {@code postmaster.pid}
 * file names the server process while it runs, and that process's executable sits beside
 * {@code pg_ctl}.
 */
public final class Postmaster {

    private Postmaster() {
    }

    /**
     * The live server process that owns {@code dataDir}, if any. A stale {@code postmaster.pid} (left by a
     * killed server, or naming a PID that now belongs to another program) yields empty.
     */
    public static Optional<ProcessHandle> running(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            pid = Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("/postgres") || c.endsWith("postgres.exe"))
                        // the command is unknown for another user's process: trust the pid file then
                        .orElse(true));
    }

    /**
     * The command line that runs {@code pg_ctl} with {@code args} the way the embedded server was started:
     * as root, PostgreSQL's tools refuse to run, so they go through {@code unshare -U} (an unprivileged user
     * namespace) where it is available, as zonky's {@code EmbeddedPostgres} does.
     */
    public static List<String> pgCtlCommand(Path pgCtl, String... args) {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.add("unshare");
            command.add("-U");
        }
        command.add(pgCtl.toString());
        command.addAll(List.of(args));
        return List.copyOf(command);
    }

    /** {@code pg_ctl} of the installation that runs {@code postmaster}, when the process tells its command. */
    public static Optional<Path> pgCtl(ProcessHandle postmaster) {
        return postmaster.info().command()
                .map(Path::of)
                .map(postgres -> postgres.resolveSibling(
                        postgres.getFileName().toString().endsWith(".exe") ? "pg_ctl.exe" : "pg_ctl"))
                .filter(Files::isExecutable);
    }
}
