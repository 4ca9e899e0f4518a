package dev.berth.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ResumableDigesterTest {

    @Test
    void stateCarriedAcrossChunksGivesTheSameDigests() {
        byte[] data = new byte[1_000_003];
        new Random(7).nextBytes(data);
        ResumableDigester d = ResumableDigester.fresh();
        int[] cuts = {0, 1, 63, 64, 65, 5000, 777_777, data.length};
        for (int i = 0; i + 1 < cuts.length; i++) {
            d.update(data, cuts[i], cuts[i + 1] - cuts[i]);
            d = ResumableDigester.restore(d.exportState()); // as if the next chunk went to another replica
        }
        assertThat(d.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.compute(DigestAlgorithm.SHA256, data));
        assertThat(d.digest(DigestAlgorithm.SHA512)).isEqualTo(Digest.compute(DigestAlgorithm.SHA512, data));
    }

    @Test
    void emptyAndFreshStates() {
        assertThat(ResumableDigester.restore(null).digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.sha256Of(new byte[0]));
        ResumableDigester d = ResumableDigester.fresh();
        d.update("abc".getBytes());
        assertThat(d.digest(DigestAlgorithm.SHA256)).isEqualTo(d.digest(DigestAlgorithm.SHA256));
    }
}
