package dev.berth.devtools.infinispan;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.berth.devtools.support.Foreground;

/**
 * Runs the Infinispan server in the foreground for the local stack ({@code deploy/local/up --replicas N}), the
 * same server the tests use ({@link InfinispanServer}), on a fixed port:
 *
 * <pre>
 * java -cp registry-devtools/target/registry-devtools-VERSION.jar dev.berth.devtools.infinispan.InfinispanLauncher \
 *     --port 11222 --home .berth-local/infinispan --log .berth-local/logs/infinispan-server.log
 * </pre>
 *
 * Once the server serves Hot Rod it prints {@value #READY_PREFIX}{@code 127.0.0.1:PORT (server pid N, user U)} and
 * blocks; SIGTERM stops the server. If the server dies on its own, the launcher exits with status 1. The server
 * has no transport, so registry-api must create its cache as {@link InfinispanServer#CACHE_CONFIGURATION}.
 */
public final class InfinispanLauncher {

    public static final String READY_PREFIX = "Infinispan ready on ";
    public static final int DEFAULT_PORT = 11222;
    private static final String USAGE = """
            Usage: InfinispanLauncher --home DIR [--port N] [--log FILE]
              --home DIR   server folder (conf/, data/)
              --port N     Hot Rod and REST port on 127.0.0.1 (default %d)
              --log FILE   the server's output (default DIR/server.log)
            User %s, password %s.""".formatted(DEFAULT_PORT, InfinispanServer.USERNAME, InfinispanServer.PASSWORD);

    private InfinispanLauncher() {
    }

    public static void main(String[] args) {
        Optional<Map<String, String>> options = Foreground.options(args, USAGE, Set.of("--home", "--port", "--log"), "--home");
        if (options.isEmpty()) {
            return;
        }
        Path home = Path.of(options.get().get("--home"));
        int port = Foreground.port(options.get(), "--port", DEFAULT_PORT, USAGE);
        Path log = Optional.ofNullable(options.get().get("--log")).map(Path::of).orElse(home.resolve("server.log"));
        InfinispanServer server;
        try {
            server = InfinispanServer.start(home, port, log);
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        // keeps the folder (stop, not close): its caches are re-created by registry-api anyway
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "berth-infinispan-stop"));
        ProcessHandle process = server.process().orElseThrow();
        Foreground.serveUntilExit(READY_PREFIX + server.hosts() + " (server pid " + process.pid() + ", user "
                + InfinispanServer.USERNAME + ", log " + server.log() + ")", process, "the Infinispan server");
    }

}
