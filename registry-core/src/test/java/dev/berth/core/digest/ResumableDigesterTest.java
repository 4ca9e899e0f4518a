package dev.berth.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ResumableDigesterTest {

    @Test
    void stateCarriedAcrossChunksGivesTheSameDigests() {
        byte[] data = new byte[1_000_003];
        new Random(7).nextBytes(data);
        ResumableDigester d = ResumableDigester.freshWithSha512();
        int[] cuts = {0, 1, 63, 64, 65, 5000, 777_777, data.length};
        for (int i = 0; i + 1 < cuts.length; i++) {
            d.update(data, cuts[i], cuts[i + 1] - cuts[i]);
            d = ResumableDigester.restore(d.exportState()); // as if the next chunk went to another replica
        }
        assertThat(d.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, data));
        assertThat(d.digest(DigestAlgorithm.SHA512)).isEqualTo(Digest.compute(DigestAlgorithm.SHA512, data));
    }

    @Test
    void portableAndJdkPathsAgreeOnEveryBoundary() {
        byte[] data = new byte[5000];
        new Random(3).nextBytes(data);
        for (int cut = 0; cut <= 200; cut++) {
            Sha256State.Portable portable = new Sha256State.Portable();
            portable.update(data, 0, cut);
            Sha256State other = Sha256State.create();
            other.restore(portable.snapshot());
            other.update(data, cut, data.length - cut);
            assertThat(Digest.of(DigestAlgorithm.SHA256, other.digest())).isEqualTo(Digest.sha256Of(data));
        }
    }

    @Test
    void fastPathIsAvailableInTests() {
        assertThat(ResumableDigester.fastSha256()).isTrue();
    }

    @Test
    void sha512IsOnlyTrackedWhenAsked() {
        ResumableDigester d = ResumableDigester.fresh();
        d.update("abc".getBytes());
        assertThat(d.tracks(DigestAlgorithm.SHA512)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> d.digest(DigestAlgorithm.SHA512))
                .isInstanceOf(IllegalStateException.class);
        assertThat(ResumableDigester.restore(d.exportState()).digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.sha256Of("abc"));
    }

    @Test
    void emptyAndFreshStates() {
        assertThat(ResumableDigester.restore(null).digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.sha256Of(new byte[0]));
        ResumableDigester d = ResumableDigester.fresh();
        d.update("abc".getBytes());
        assertThat(d.digest(DigestAlgorithm.SHA256)).isEqualTo(d.digest(DigestAlgorithm.SHA256));
    }
}
