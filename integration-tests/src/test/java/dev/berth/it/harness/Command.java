package dev.berth.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command to completion with a time limit. Standard output and error go (merged) to a
 * log file under target/it-logs, so a chatty command can never block on a full pipe, and every failure
 * message carries the command line and its output.
 */
public final class Command {

    private final List<String> args;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration timeout = Duration.ofMinutes(3);
    private Path workDir;

    private Command(List<String> args) {
        this.args = List.copyOf(args);
    }

    public static Command of(String... args) {
        return new Command(Arrays.asList(args));
    }

    public static Command of(List<String> args) {
        return new Command(args);
    }

    public Command env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public Command env(Map<String, String> values) {
        env.putAll(values);
        return this;
    }

    public Command timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    public Command dir(Path dir) {
        this.workDir = dir;
        return this;
    }

    /** Runs the command and returns its result whatever the exit code. */
    public Result run() {
        String label = Path.of(args.get(0)).getFileName().toString() + (args.size() > 1 ? "-" + sanitize(args.get(1)) : "");
        Path log = ItPaths.newLogFile("cmd-" + label);
        ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + commandLine() + ": " + e.getMessage(), e);
        }
        boolean finished;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ManagedProcess.destroyTree(process.toHandle(), Duration.ofSeconds(5));
            throw new AssertionError("interrupted while running " + commandLine(), e);
        }
        if (!finished) {
            ManagedProcess.destroyTree(process.toHandle(), Duration.ofSeconds(5));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        String output = read(log);
        Result result = new Result(commandLine(), environment(), log, finished ? process.exitValue() : -1, output, !finished, millis);
        System.out.printf("[berth-it] $ %s -> %s in %d ms%n", commandLine(), finished ? "exit " + result.exitCode() : "TIMEOUT", millis);
        return result;
    }

    /** Runs the command and fails (with its output) unless it exits 0. */
    public Result runOk() {
        Result result = run();
        if (result.exitCode() != 0) {
            throw new AssertionError(result.describe());
        }
        return result;
    }

    /** The command line, without the environment (see {@link #environment()}). */
    public String commandLine() {
        StringBuilder line = new StringBuilder();
        for (String arg : args) {
            line.append(arg.contains(" ") ? "'" + arg + "'" : arg).append(' ');
        }
        return line.toString().trim();
    }

    public String environment() {
        StringBuilder line = new StringBuilder();
        env.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
        return line.toString().trim();
    }

    private static String sanitize(String arg) {
        String s = arg.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.length() > 30 ? s.substring(0, 30) : s;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            try {
                return new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            } catch (IOException e2) {
                throw new UncheckedIOException(e2);
            }
        }
    }

    /** What a command did. */
    public record Result(String commandLine, String environment, Path log, int exitCode, String output, boolean timedOut,
            long millis) {

        public String describe() {
            return "command " + (timedOut ? "timed out" : "exited " + exitCode) + " after " + millis + " ms: "
                    + commandLine + (environment.isEmpty() ? "" : "\n  environment: " + environment)
                    + "\n  log: " + log + "\n----- output -----\n" + tail(output, 8000) + "\n------------------";
        }

        /** Output lines, trimmed, without blank ones. */
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line.trim());
                }
            }
            return lines;
        }

        /** The last non-blank line of the output (commands that print one id at the end). */
        public String lastLine() {
            List<String> lines = lines();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }

    public static String tail(String text, int maxChars) {
        return text.length() <= maxChars ? text : "...(" + (text.length() - maxChars) + " chars cut)...\n" + text.substring(text.length() - maxChars);
    }
}
