package dev.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the integration tests keep their files: everything lives under {@code integration-tests/target/}.
 * One run (one test JVM) gets its own work folder, {@code target/it-work/run-<time>/}, and logs go to
 * {@code target/it-logs/run-<time>/} so that they survive the clean-up of the work folder.
 */
public final class ItPaths {

    private static final String RUN_ID = "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("MMdd-HHmmss"))
            + "-" + ProcessHandle.current().pid();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private ItPaths() {
    }

    /** The integration-tests module folder (set by failsafe; falls back to the working directory). */
    public static Path moduleDir() {
        String fromBuild = System.getProperty("berth.it.moduleDir");
        Path dir = fromBuild != null && !fromBuild.isBlank() ? Path.of(fromBuild) : Path.of("").toAbsolutePath();
        return dir.toAbsolutePath().normalize();
    }

    /** The repository root (parent of the module folder). */
    public static Path repoRoot() {
        return moduleDir().getParent();
    }

    public static Path targetDir() {
        return moduleDir().resolve("target");
    }

    /** This run's work folder (deleted at the end of the run unless -Dberth.it.keep=true). */
    public static Path runWorkDir() {
        return mkdirs(targetDir().resolve("it-work").resolve(RUN_ID));
    }

    /** This run's log folder (kept). */
    public static Path runLogDir() {
        return mkdirs(targetDir().resolve("it-logs").resolve(RUN_ID));
    }

    /** A fresh folder under this run's work folder; the name gets a counter so that it is unique. */
    public static Path newWorkDir(String name) {
        return mkdirs(runWorkDir().resolve(String.format("%02d-%s", COUNTER.incrementAndGet(), name)));
    }

    /** A fresh log file path under this run's log folder. */
    public static Path newLogFile(String name) {
        return runLogDir().resolve(String.format("%02d-%s.log", COUNTER.incrementAndGet(), name));
    }

    public static boolean keepWorkDirs() {
        return Boolean.getBoolean("berth.it.keep");
    }

    static Path mkdirs(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** Deletes a folder tree; best effort, never follows symbolic links. */
    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a leftover under target/ is harmless
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }
}
