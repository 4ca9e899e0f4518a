package dev.berth.core.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestDocumentTest {
    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);
    private static final String D3 = "sha256:" + "3".repeat(64);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String IMAGE = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + D1 + "\",\"size\":5},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + D2 + "\",\"size\":7},"
            + "{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\"digest\":\"" + D3
            + "\",\"size\":9}]}";

    @Test
    void imageManifestReferences() {
        ManifestDocument doc = ManifestDocument.parse(MediaTypes.OCI_MANIFEST, b(IMAGE));
        assertThat(doc.isIndex()).isFalse();
        assertThat(doc.layers()).hasSize(2);
        assertThat(doc.requiredBlobs()).extracting(d -> d.digest().toString()).containsExactly(D1, D2);
        assertThat(doc.effectiveArtifactType()).isEqualTo("application/vnd.oci.image.config.v1+json");
    }

    @Test
    void mediaTypeFromBodyWhenContentTypeIsGeneric() {
        ManifestDocument doc = ManifestDocument.parse("application/json", b(IMAGE));
        assertThat(doc.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> ManifestDocument.parse(MediaTypes.OCI_INDEX, b(IMAGE))).hasMessageContaining("does not match");
        assertThatThrownBy(() -> ManifestDocument.parse(MediaTypes.DOCKER_SCHEMA1, b("{\"schemaVersion\":1}")))
                .hasMessageContaining("schema 1");
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("{\"schemaVersion\":1,\"fsLayers\":[]}")))
                .hasMessageContaining("schema 1");
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("{\"schemaVersion\":3}"))).hasMessageContaining("schemaVersion");
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}")))
                .hasMessageContaining("both");
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("nope"))).isInstanceOf(InvalidManifestException.class);
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
                + "\"digest\":\"sha256:12\",\"size\":1},\"layers\":[]}"))).hasMessageContaining("config");
        assertThatThrownBy(() -> ManifestDocument.parse(null, b("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
                + "\"digest\":\"" + D1 + "\",\"size\":-1},\"layers\":[]}"))).hasMessageContaining("size");
    }

    @Test
    void indexWithSubject() {
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"artifactType\":\"a/b\","
                + "\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D1 + "\",\"size\":1}],"
                + "\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D2 + "\",\"size\":2},"
                + "\"annotations\":{\"k\":\"v\"}}";
        ManifestDocument doc = ManifestDocument.parse(MediaTypes.OCI_INDEX, b(index));
        assertThat(doc.isIndex()).isTrue();
        assertThat(doc.manifests()).hasSize(1);
        assertThat(doc.subject()).isPresent();
        assertThat(doc.effectiveArtifactType()).isEqualTo("a/b");
        assertThat(doc.annotations()).containsEntry("k", "v");
        assertThat(doc.requiredBlobs()).isEmpty();
    }

    @Test
    void platformsOfAnIndexInIndexOrder() {
        String child = "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"%s\",\"size\":1%s}";
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + child.formatted(D1, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") + ","
                + child.formatted(D2, "") + ","
                + child.formatted(D3, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}") + "]}";
        assertThat(ManifestDocument.parse(MediaTypes.OCI_INDEX, b(index)).platforms())
                .containsExactly("linux/arm64/v8", "linux/amd64");
        assertThat(ManifestDocument.parse(MediaTypes.OCI_MANIFEST, b(IMAGE)).platforms()).isEmpty();
    }
}
