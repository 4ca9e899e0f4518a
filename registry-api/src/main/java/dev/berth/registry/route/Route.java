package dev.berth.registry.route;

import java.util.regex.Pattern;

/**
 * The path grammar of the {@code /v2/} API, shared by routing and authorization so that what is
 * authorized is exactly what is served. Matched from the right: repository names may contain slashes.
 */
public final class V2Paths {
    public static final Pattern UPLOAD = Pattern.compile("^/v2/(.+)/blobs/uploads/([^/]*)$");
    public static final Pattern BLOB = Pattern.compile("^/v2/(.+)/blobs/([^/]+)$");
    public static final Pattern MANIFEST = Pattern.compile("^/v2/(.+)/manifests/([^/]+)$");
    public static final Pattern TAGS = Pattern.compile("^/v2/(.+)/tags/list$");
    public static final Pattern REFERRERS = Pattern.compile("^/v2/(.+)/referrers/([^/]+)$");

    private V2Paths() {
    }
}
