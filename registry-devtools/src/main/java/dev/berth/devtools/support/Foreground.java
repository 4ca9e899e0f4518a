package dev.berth.devtools.support;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the foreground launchers of the local stack ({@code deploy/local/up}) share: their argument parsing and
 * their life as long as the server they started.
 */
public final class Foreground {

    private Foreground() {
    }

    /**
     * The options {@code --NAME VALUE} of {@code args}, each one of {@code names}; empty after printing {@code usage}
     * for {@code -h}/{@code --help}. An unknown option, one without its value or a missing {@code required} one ends
     * the JVM with the usage (status 2).
     */
    public static Optional<Map<String, String>> options(String[] args, String usage, Set<String> names, String... required) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-h") || args[i].equals("--help")) {
                System.out.println(usage);
                return Optional.empty();
            }
            if (!names.contains(args[i])) {
                usageError("unknown argument: " + args[i], usage);
            }
            if (i + 1 >= args.length) {
                usageError(args[i] + " needs a value", usage);
            }
            options.put(args[i], args[++i]);
        }
        for (String name : required) {
            if (!options.containsKey(name)) {
                usageError(name + " is required", usage);
            }
        }
        return Optional.of(options);
    }

    /** The port option {@code name}, or {@code fallback}. */
    public static int port(Map<String, String> options, String name, int fallback, String usage) {
        String value = options.get(name);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            usageError(name + " needs a port number, not " + value, usage);
            return fallback;
        }
    }

    /**
     * Prints {@code readyLine} (what deploy/local/up waits for), then blocks until {@code server} exits and ends this
     * JVM with status 1: a server that dies on its own takes its launcher along. SIGTERM to the launcher runs the
     * shutdown hook that stops the server.
     */
    public static void serveUntilExit(String readyLine, ProcessHandle server, String name) {
        System.out.println(readyLine);
        System.out.flush();
        server.onExit().join();
        System.err.println(name + " (pid " + server.pid() + ") exited");
        System.exit(1);
    }

    /** Prints the problem and the usage on standard error and ends the JVM with status 2. */
    public static void usageError(String problem, String usage) {
        System.err.println(problem);
        System.err.println(usage);
        System.exit(2);
    }
}
