package dev.berth.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire form of events: what is written is read back unchanged; what a reader cannot read is refused. */
class RegistryEventJsonTest {
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    private static final String SUBJECT = "sha256:" + "b".repeat(64);

    @Test
    void everyFieldRoundTrips() {
        RegistryEvent event = RegistryEvent.of(RegistryEvent.TAG_UPDATED, "team/app").withDigest(DIGEST).withTag("v1")
                .withManifest("application/vnd.oci.image.index.v1+json", "application/vnd.example+json", 1234L,
                        List.of("linux/amd64", "linux/arm64/v8"), SUBJECT)
                .withActor("alice").withPosition(42, Instant.parse("2026-12-01T05:00:00.123456Z"));

        String json = RegistryEventJson.write(event);

        assertThat(RegistryEventJson.read(json)).isEqualTo(event);
        assertThat(json).contains("\"type\":\"tag.updated\"", "\"position\":42", "\"time\":\"2026-12-01T05:00:00.123456Z\"",
                "\"platforms\":[\"linux/amd64\",\"linux/arm64/v8\"]", "\"actor\":\"alice\"");
    }

    @Test
    void absentFieldsAreLeftOutAndReadBackAsAbsent() {
        RegistryEvent event = RegistryEvent.of(RegistryEvent.REPOSITORY_CREATED, "team/app");

        String json = RegistryEventJson.write(event);

        assertThat(json).doesNotContain("digest", "tag", "mediaType", "artifactType", "size", "platforms", "subject",
                "actor", "time");
        RegistryEvent read = RegistryEventJson.read(json);
        assertThat(read).isEqualTo(event);
        assertThat(read.platforms()).isEmpty();
        assertThat(read.size()).isNull();
    }

    @Test
    void unknownFieldsAreIgnored() {
        RegistryEvent read = RegistryEventJson.read("{\"version\":1,\"position\":7,\"type\":\"blob.pushed\","
                + "\"repository\":\"a\",\"digest\":\"" + DIGEST + "\",\"size\":3,\"somethingNew\":{\"x\":1}}");

        assertThat(read).isEqualTo(RegistryEvent.of(RegistryEvent.BLOB_PUSHED, "a").withDigest(DIGEST).withSize(3L)
                .withPosition(7, null));
    }

    @Test
    void aNewerOrMissingVersionIsRefused() {
        String newer = "{\"version\":" + (RegistryEvent.CURRENT_VERSION + 1)
                + ",\"type\":\"repository.created\",\"repository\":\"a\"}";
        assertThatThrownBy(() -> RegistryEventJson.read(newer)).isInstanceOf(RegistryEventJson.InvalidEventException.class)
                .hasMessageContaining("version " + (RegistryEvent.CURRENT_VERSION + 1));
        assertThatThrownBy(() -> RegistryEventJson.read("{\"type\":\"repository.created\",\"repository\":\"a\"}"))
                .isInstanceOf(RegistryEventJson.InvalidEventException.class);
        assertThatThrownBy(() -> RegistryEventJson.read("{\"version\":0,\"type\":\"repository.created\",\"repository\":\"a\"}"))
                .isInstanceOf(RegistryEventJson.InvalidEventException.class);
    }

    @Test
    void whatIsNoEventIsRefused() {
        assertThatThrownBy(() -> RegistryEventJson.read("not json")).isInstanceOf(RegistryEventJson.InvalidEventException.class);
        assertThatThrownBy(() -> RegistryEventJson.read("[1]")).isInstanceOf(RegistryEventJson.InvalidEventException.class);
        assertThatThrownBy(() -> RegistryEventJson.read("{\"version\":1,\"type\":\"tag.renamed\",\"repository\":\"a\"}"))
                .isInstanceOf(RegistryEventJson.InvalidEventException.class).hasMessageContaining("tag.renamed");
        assertThatThrownBy(() -> RegistryEventJson.read("{\"version\":1,\"type\":\"tag.updated\"}"))
                .isInstanceOf(RegistryEventJson.InvalidEventException.class);
        assertThatThrownBy(() -> RegistryEventJson.read("{\"version\":1,\"type\":\"tag.updated\",\"repository\":\"a\","
                + "\"time\":\"yesterday\"}")).isInstanceOf(RegistryEventJson.InvalidEventException.class);
    }
}
