package dev.berth.it.harness;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A long-running process started by the tests (registry, dockerd, ...), its output in a log file.
 * {@link #close()} stops it and everything it started: SIGTERM, a bounded wait, then SIGKILL; always by
 * process id, never by name.
 */
public class ManagedProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path logFile;
    private final List<String> command;
    private final Duration stopGrace;

    protected ManagedProcess(String name, Process process, Path logFile, List<String> command, Duration stopGrace) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.command = command;
        this.stopGrace = stopGrace;
    }

    /** Starts a process with its merged output in a fresh log file under target/it-logs. */
    public static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path workDir,
            Duration stopGrace) {
        Path log = ItPaths.newLogFile(name);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        try {
            Process process = builder.start();
            System.out.printf("[berth-it] started %s (pid %d): %s%n  log: %s%n", name, process.pid(),
                    String.join(" ", command), log);
            return new ManagedProcess(name, process, log, command, stopGrace);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + name + ": " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    public List<String> command() {
        return command;
    }

    /** The last part of the log (for failure messages). */
    public String logTail(int maxChars) {
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = file.length();
            long from = Math.max(0, length - maxChars);
            file.seek(from);
            byte[] bytes = new byte[(int) (length - from)];
            file.readFully(bytes);
            return (from > 0 ? "...\n" : "") + new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    public String describe() {
        return name + " (pid " + pid() + (isAlive() ? ", running" : ", exited " + process.exitValue()) + ", log "
                + logFile + ")\n----- log tail -----\n" + logTail(6000) + "\n--------------------";
    }

    /** kill -9: SIGKILL to the process (and its children), then waits for it to be gone. */
    public void kill9() {
        List<ProcessHandle> children = process.descendants().collect(Collectors.toList());
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new AssertionError(name + " still alive 20 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.printf("[berth-it] killed %s (pid %d) with SIGKILL%n", name, pid());
    }

    /** SIGTERM to the process only (a graceful stop), without waiting. */
    public void sigterm() {
        process.toHandle().destroy();
        System.out.printf("[berth-it] sent SIGTERM to %s (pid %d)%n", name, pid());
    }

    /** Waits until the process has exited; its exit status, or empty if it still runs after {@code limit}. */
    public java.util.OptionalInt awaitExit(Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)
                    ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.OptionalInt.empty();
        }
    }

    @Override
    public void close() {
        if (process.isAlive() || process.descendants().findAny().isPresent()) {
            destroyTree(process.toHandle(), stopGrace);
            System.out.printf("[berth-it] stopped %s (pid %d)%n", name, pid());
        }
    }

    /**
     * Stops a process and its descendants (collected first, by pid): SIGTERM to the process, a bounded wait
     * for it, then SIGKILL to whatever is left.
     */
    /** Stops each of {@code processes} (nulls skipped), in order; one that fails to stop does not keep the others running. */
    public static void stopAll(AutoCloseable... processes) {
        for (AutoCloseable process : processes) {
            if (process != null) {
                try {
                    process.close();
                } catch (Exception e) {
                    System.out.println("[berth-it] could not stop " + process + ": " + e);
                }
            }
        }
    }

    static void destroyTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> descendants = root.descendants().collect(Collectors.toList());
        root.destroy();
        long deadline = System.nanoTime() + grace.toNanos();
        while (root.isAlive() && System.nanoTime() < deadline) {
            sleep(100);
        }
        if (root.isAlive()) {
            root.destroyForcibly();
        }
        // children the root did not take down with it (dockerd stops its containerd itself)
        long childDeadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (ProcessHandle child : descendants) {
            if (child.isAlive()) {
                child.destroy();
            }
        }
        while (descendants.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < childDeadline) {
            sleep(100);
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        long killDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((root.isAlive() || descendants.stream().anyMatch(ProcessHandle::isAlive)) && System.nanoTime() < killDeadline) {
            sleep(50);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
