package dev.berth.registry.route;

import dev.berth.core.scope.Scope;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One request's place in the {@code /v2/} API, matched once and used by both authorization and dispatch, so
 * that what is authorized is exactly what is served. Paths are matched from the right, because repository
 * names may contain slashes; {@code name} and {@code reference} are as sent (percent-decoded, not validated:
 * a challenge echoes what was asked, and the handler refuses what is invalid).
 *
 * @param name the repository name, or null for {@link Endpoint#BASE}, {@link Endpoint#CATALOG}, {@link Endpoint#UNKNOWN}
 * @param reference the digest (blob, referrers), tag or digest (manifest), or upload id (empty when starting one)
 */
public record Route(Endpoint endpoint, String path, String name, String reference) {
    private static final Pattern UPLOAD = Pattern.compile("^/v2/(.+)/blobs/uploads/([^/]*)$");
    private static final Pattern BLOB = Pattern.compile("^/v2/(.+)/blobs/([^/]+)$");
    private static final Pattern MANIFEST = Pattern.compile("^/v2/(.+)/manifests/([^/]+)$");
    private static final Pattern TAGS = Pattern.compile("^/v2/(.+)/tags/list$");
    private static final Pattern REFERRERS = Pattern.compile("^/v2/(.+)/referrers/([^/]+)$");
    private static final Pattern REPOSITORY = Pattern.compile("^/api/v1/repositories/(.+?)/?$");

    /** Matches a raw request path (as received, %XX escapes and all). */
    public static Route match(String rawPath) {
        String path = percentDecode(rawPath);
        if (path.startsWith("/api/")) {
            Matcher m = REPOSITORY.matcher(path);
            return m.matches() ? new Route(Endpoint.REPOSITORY, path, m.group(1), null)
                    : new Route(Endpoint.UNKNOWN, path, null, null);
        }
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new Route(Endpoint.BASE, path, null, null);
        }
        if (path.equals("/v2/_catalog")) {
            return new Route(Endpoint.CATALOG, path, null, null);
        }
        Matcher m = UPLOAD.matcher(path);
        if (m.matches()) {
            return new Route(m.group(2).isEmpty() ? Endpoint.UPLOAD_START : Endpoint.UPLOAD, path, m.group(1), m.group(2));
        }
        m = BLOB.matcher(path);
        if (m.matches()) {
            return new Route(Endpoint.BLOB, path, m.group(1), m.group(2));
        }
        m = MANIFEST.matcher(path);
        if (m.matches()) {
            return new Route(Endpoint.MANIFEST, path, m.group(1), m.group(2));
        }
        m = TAGS.matcher(path);
        if (m.matches()) {
            return new Route(Endpoint.TAGS, path, m.group(1), null);
        }
        m = REFERRERS.matcher(path);
        if (m.matches()) {
            return new Route(Endpoint.REFERRERS, path, m.group(1), m.group(2));
        }
        return new Route(Endpoint.UNKNOWN, path, null, null);
    }

    /** The scope {@code method} needs here, or null when any valid token will do. */
    public Scope scope(io.vertx.core.http.HttpMethod method) {
        if (endpoint == Endpoint.CATALOG) {
            return Scope.CATALOG;
        }
        var actions = endpoint.actions(method);
        return actions.isEmpty() ? null : Scope.repository(name, actions.toArray(String[]::new));
    }

    /** Decodes %XX escapes (clients escape the colon of a digest); a malformed escape is left as is. */
    static String percentDecode(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && Character.digit(path.charAt(i + 1), 16) >= 0
                    && Character.digit(path.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(path.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
