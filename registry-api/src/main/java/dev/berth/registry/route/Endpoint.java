package dev.berth.registry.route;

import dev.berth.core.scope.Scope;
import io.vertx.core.http.HttpMethod;
import java.util.List;

/**
 * The endpoints of the {@code /v2/} API and of registry-api's own {@code /api/v1/} administration, each knowing which
 * actions a method on it needs.
 */
public enum Endpoint {
    /** {@code /v2/}: any valid token. */
    BASE,
    /** {@code /v2/_catalog}: {@code registry:catalog:*}. */
    CATALOG,
    /** {@code /v2/NAME/blobs/uploads/} (start, or mount). */
    UPLOAD_START,
    /** {@code /v2/NAME/blobs/uploads/ID}. */
    UPLOAD,
    /** {@code /v2/NAME/blobs/DIGEST}. */
    BLOB,
    /** {@code /v2/NAME/manifests/REFERENCE}. */
    MANIFEST,
    /** {@code /v2/NAME/tags/list}. */
    TAGS,
    /** {@code /v2/NAME/referrers/DIGEST}. */
    REFERRERS,
    /** {@code /api/v1/repositories/NAME}: the repository itself (its deletion). */
    REPOSITORY,
    /** Anything else: a valid token is enough to be told it does not exist. */
    UNKNOWN;

    /**
     * The actions {@code method} needs on the route's repository, in the order a challenge names them (empty for
     * {@link #BASE}, {@link #CATALOG} and {@link #UNKNOWN}). Unsupported methods need what reading needs, so that
     * who may not read learns nothing more than who may.
     */
    public List<String> actions(HttpMethod method) {
        return switch (this) {
            case BASE, CATALOG, UNKNOWN -> List.of();
            case UPLOAD_START, UPLOAD -> List.of(Scope.PULL, Scope.PUSH);
            case BLOB, REPOSITORY -> method == HttpMethod.DELETE ? List.of(Scope.DELETE) : List.of(Scope.PULL);
            case MANIFEST -> method == HttpMethod.PUT ? List.of(Scope.PULL, Scope.PUSH)
                    : method == HttpMethod.DELETE ? List.of(Scope.DELETE) : List.of(Scope.PULL);
            case TAGS, REFERRERS -> List.of(Scope.PULL);
        };
    }
}
