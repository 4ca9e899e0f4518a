package dev.berth.devtools.s3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.berth.devtools.support.Foreground;

/**
 * Runs S3Proxy in the foreground for the local stack ({@code deploy/local/up --s3}), the same server the
 * tests use ({@link S3ProxyServer}), but on a fixed port and keeping its buckets across restarts:
 *
 * <pre>
 * java -cp registry-devtools/target/registry-devtools-VERSION.jar dev.berth.devtools.s3.S3ProxyLauncher \
 *     --port 5004 --home .berth-local/s3 --bucket berth --log .berth-local/logs/s3proxy-server.log
 * </pre>
 *
 * The bucket is created (a folder under {@code HOME/data}, which is what S3Proxy's filesystem backend calls a
 * bucket) before the server starts. Once the server accepts connections the launcher prints
 * {@value #READY_PREFIX}{@code http://127.0.0.1:PORT (server pid N, bucket B, data DIR)} and blocks; SIGTERM
 * stops the server. If the server dies on its own, the launcher exits with status 1.
 */
public final class S3ProxyLauncher {

    public static final String READY_PREFIX = "S3 ready on ";
    public static final int DEFAULT_PORT = 5004;
    public static final String DEFAULT_BUCKET = "berth";
    private static final Pattern BUCKET_NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final String USAGE = """
            Usage: S3ProxyLauncher --home DIR [--port N] [--bucket NAME] [--log FILE]
              --home DIR     folder of the server: buckets under DIR/data (kept across restarts)
              --port N       TCP port on 127.0.0.1 (default %d)
              --bucket NAME  bucket created before the start (default %s)
              --log FILE     the server's output (default DIR/s3proxy.log)
            Credentials: access key %s, secret key %s, region %s."""
            .formatted(DEFAULT_PORT, DEFAULT_BUCKET, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY,
                    S3ProxyServer.REGION);

    private S3ProxyLauncher() {
    }

    public static void main(String[] args) throws IOException {
        Optional<Map<String, String>> options = Foreground.options(args, USAGE, Set.of("--home", "--port", "--bucket", "--log"),
                "--home");
        if (options.isEmpty()) {
            return;
        }
        Path home = Path.of(options.get().get("--home")).toAbsolutePath().normalize();
        int port = Foreground.port(options.get(), "--port", DEFAULT_PORT, USAGE);
        String bucket = options.get().getOrDefault("--bucket", DEFAULT_BUCKET);
        Path log = Optional.ofNullable(options.get().get("--log")).map(Path::of).orElse(home.resolve("s3proxy.log"));
        if (!BUCKET_NAME.matcher(bucket).matches()) {
            Foreground.usageError("not an S3 bucket name: " + bucket
                    + " (3-63 characters: lower-case letters, digits, dots and hyphens)", USAGE);
        }
        Path data = home.resolve("data");
        Files.createDirectories(data.resolve(bucket));
        S3ProxyServer server;
        try {
            // its shutdown hook stops S3Proxy on SIGTERM; the buckets stay
            server = S3ProxyServer.start(home, port, log, false);
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        ProcessHandle process = server.process().orElseThrow();
        Foreground.serveUntilExit(READY_PREFIX + server.endpoint() + " (server pid " + process.pid() + ", bucket " + bucket
                + ", data " + data + ")", process, "S3Proxy");
    }

}
