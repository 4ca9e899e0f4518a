package dev.berth.registry.support;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Helpers the API tests share: unique repository names, random blobs, pushes through the real API. */
public final class RegistryTestSupport {
    private RegistryTestSupport() {
    }

    public static String uniqueRepo(String prefix) {
        return prefix + "/r" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    public static byte[] randomBytes(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Pushes a blob monolithically and returns its digest. */
    public static Digest pushBlob(String repo, byte[] content) {
        Digest digest = Digest.sha256Of(content);
        given().contentType("application/octet-stream").body(content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .then().statusCode(201);
        return digest;
    }

    /** An OCI image manifest over a config and the given layers (all pushed first). */
    public static String imageManifest(String repo, byte[]... layers) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"},\"n\":\""
                + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = pushBlob(repo, config);
        StringBuilder sb = new StringBuilder();
        sb.append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",")
                .append("\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(config.length).append("},\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            Digest d = pushBlob(repo, layers[i]);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"").append(d)
                    .append("\",\"size\":").append(layers[i].length).append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    public static Response putManifest(String repo, String reference, String mediaType, String body) {
        return given().contentType(mediaType).body(body.getBytes(StandardCharsets.UTF_8))
                .put("/v2/" + repo + "/manifests/" + reference);
    }

    public static void assertOciError(Response response, int status, String code) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.jsonPath().getString("errors[0].code")).as(response.asString()).isEqualTo(code);
        assertThat(response.jsonPath().getString("errors[0].message")).isNotBlank();
    }
}
