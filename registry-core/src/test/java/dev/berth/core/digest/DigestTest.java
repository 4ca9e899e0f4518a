package dev.berth.core.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DigestTest {

    @Test
    void parsesRegisteredAlgorithms() {
        Digest d = Digest.parse("sha256:" + "a".repeat(64));
        assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA256);
        assertThat(d.toString()).isEqualTo("sha256:" + "a".repeat(64));
        assertThat(Digest.parse("sha512:" + "0".repeat(128)).algorithm()).isEqualTo(DigestAlgorithm.SHA512);
    }

    @Test
    void refusesMalformedOrUnsupported() {
        assertThatThrownBy(() -> Digest.parse("sha256:abc")).isInstanceOf(InvalidDigestException.class);
        assertThatThrownBy(() -> Digest.parse("sha256:" + "A".repeat(64))).isInstanceOf(InvalidDigestException.class);
        assertThatThrownBy(() -> Digest.parse("md5:" + "a".repeat(32))).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> Digest.parse("sha256")).isInstanceOf(InvalidDigestException.class);
        assertThatThrownBy(() -> Digest.parse("")).isInstanceOf(InvalidDigestException.class);
        assertThatThrownBy(() -> Digest.parse("sha256:../../etc")).isInstanceOf(InvalidDigestException.class);
    }

    @Test
    void knownVector() {
        assertThat(Digest.sha256Of("").toString())
                .isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
