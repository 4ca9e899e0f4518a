package dev.berth.registry.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

/** The one route table: what each path is, and what each method on it needs. */
class RouteTest {
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void matchesEveryEndpointFromTheRight() {
        assertThat(Route.match("/v2")).isEqualTo(new Route(Endpoint.BASE, "/v2", null, null));
        assertThat(Route.match("/v2/").endpoint()).isEqualTo(Endpoint.BASE);
        assertThat(Route.match("/v2/_catalog").endpoint()).isEqualTo(Endpoint.CATALOG);
        assertThat(Route.match("/v2/a/b/c/blobs/uploads/")).isEqualTo(
                new Route(Endpoint.UPLOAD_START, "/v2/a/b/c/blobs/uploads/", "a/b/c", ""));
        assertThat(Route.match("/v2/a/blobs/uploads/u-1")).isEqualTo(new Route(Endpoint.UPLOAD, "/v2/a/blobs/uploads/u-1", "a", "u-1"));
        assertThat(Route.match("/v2/a/blobs/" + DIGEST)).isEqualTo(new Route(Endpoint.BLOB, "/v2/a/blobs/" + DIGEST, "a", DIGEST));
        // a repository may itself be called "blobs" or "manifests": the last such segment decides
        assertThat(Route.match("/v2/x/manifests/blobs/manifests/v1")).isEqualTo(
                new Route(Endpoint.MANIFEST, "/v2/x/manifests/blobs/manifests/v1", "x/manifests/blobs", "v1"));
        assertThat(Route.match("/v2/team/app/tags/list")).isEqualTo(new Route(Endpoint.TAGS, "/v2/team/app/tags/list", "team/app", null));
        assertThat(Route.match("/v2/a/referrers/" + DIGEST).endpoint()).isEqualTo(Endpoint.REFERRERS);
        assertThat(Route.match("/v2/a/unknown/thing").endpoint()).isEqualTo(Endpoint.UNKNOWN);
        assertThat(Route.match("/v2/a/tags/list/more").endpoint()).isEqualTo(Endpoint.UNKNOWN);
        assertThat(Route.match("/api/v1/repositories/team/app")).isEqualTo(
                new Route(Endpoint.REPOSITORY, "/api/v1/repositories/team/app", "team/app", null));
        assertThat(Route.match("/api/v1/repositories/team/app/").name()).isEqualTo("team/app");
        assertThat(Route.match("/api/v1/repositories/").endpoint()).isEqualTo(Endpoint.UNKNOWN);
        assertThat(Route.match("/api/v1/other/x").endpoint()).isEqualTo(Endpoint.UNKNOWN);
    }

    @Test
    void percentEscapesAreDecodedOnce() {
        Route route = Route.match("/v2/team%2Fapp/manifests/sha256%3A" + "a".repeat(64));
        assertThat(route.name()).isEqualTo("team/app");
        assertThat(route.reference()).isEqualTo(DIGEST);
        assertThat(Route.match("/v2/a/manifests/v%251").reference()).isEqualTo("v%1");
        // a malformed escape is left as is
        assertThat(Route.match("/v2/a/manifests/v%zz").reference()).isEqualTo("v%zz");
    }

    @Test
    void eachEndpointAndMethodKnowsItsScope() {
        Route upload = Route.match("/v2/t/app/blobs/uploads/");
        assertThat(upload.scope(HttpMethod.POST)).hasToString("repository:t/app:pull,push");
        assertThat(Route.match("/v2/t/app/blobs/uploads/u").scope(HttpMethod.PATCH)).hasToString("repository:t/app:pull,push");
        Route blob = Route.match("/v2/t/app/blobs/" + DIGEST);
        assertThat(blob.scope(HttpMethod.GET)).hasToString("repository:t/app:pull");
        assertThat(blob.scope(HttpMethod.HEAD)).hasToString("repository:t/app:pull");
        assertThat(blob.scope(HttpMethod.DELETE)).hasToString("repository:t/app:delete");
        Route manifest = Route.match("/v2/t/app/manifests/v1");
        assertThat(manifest.scope(HttpMethod.GET)).hasToString("repository:t/app:pull");
        assertThat(manifest.scope(HttpMethod.PUT)).hasToString("repository:t/app:pull,push");
        assertThat(manifest.scope(HttpMethod.DELETE)).hasToString("repository:t/app:delete");
        assertThat(Route.match("/v2/t/app/tags/list").scope(HttpMethod.GET)).hasToString("repository:t/app:pull");
        assertThat(Route.match("/v2/t/app/referrers/" + DIGEST).scope(HttpMethod.GET)).hasToString("repository:t/app:pull");
        assertThat(Route.match("/v2/_catalog").scope(HttpMethod.GET)).hasToString("registry:catalog:*");
        assertThat(Route.match("/api/v1/repositories/t/app").scope(HttpMethod.DELETE)).hasToString("repository:t/app:delete");
        assertThat(Route.match("/api/v1/repositories/t/app").scope(HttpMethod.GET)).hasToString("repository:t/app:pull");
        assertThat(Route.match("/v2/").scope(HttpMethod.GET)).isNull();
        assertThat(Route.match("/v2/nothing/here").scope(HttpMethod.GET)).isNull();
    }
}
