package dev.berth.core.digest;

import java.nio.ByteBuffer;
import java.util.Base64;
import org.bouncycastle.crypto.digests.EncodableDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * SHA-256 and SHA-512 of an upload, computed as its chunks stream by. The state of both hashes can be
 * exported after a chunk and restored by any replica for the next one, so committing an upload never
 * re-reads the blob. Both algorithms run because the client names the digest only at commit.
 */
public final class ResumableDigester {
    private static final byte STATE_VERSION = 1;

    private final SHA256Digest sha256;
    private final SHA512Digest sha512;

    private ResumableDigester(SHA256Digest sha256, SHA512Digest sha512) {
        this.sha256 = sha256;
        this.sha512 = sha512;
    }

    public static ResumableDigester fresh() {
        return new ResumableDigester(new SHA256Digest(), new SHA512Digest());
    }

    /** Restores a digester from {@link #exportState()}; {@code null} or empty means a fresh one. */
    public static ResumableDigester restore(String state) {
        if (state == null || state.isEmpty()) {
            return fresh();
        }
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(state));
        if (buf.get() != STATE_VERSION) {
            throw new IllegalStateException("unknown digest state version");
        }
        byte[] s256 = new byte[buf.getInt()];
        buf.get(s256);
        byte[] s512 = new byte[buf.getInt()];
        buf.get(s512);
        return new ResumableDigester(new SHA256Digest(s256), new SHA512Digest(s512));
    }

    public void update(byte[] data, int offset, int length) {
        sha256.update(data, offset, length);
        sha512.update(data, offset, length);
    }

    public void update(byte[] data) {
        update(data, 0, data.length);
    }

    /** The serialised state of both hashes (Base64 text, safe to store in a database column). */
    public String exportState() {
        byte[] s256 = ((EncodableDigest) sha256).getEncodedState();
        byte[] s512 = ((EncodableDigest) sha512).getEncodedState();
        ByteBuffer buf = ByteBuffer.allocate(1 + 4 + s256.length + 4 + s512.length);
        buf.put(STATE_VERSION).putInt(s256.length).put(s256).putInt(s512.length).put(s512);
        return Base64.getEncoder().encodeToString(buf.array());
    }

    /** The digest of everything seen so far, in the requested algorithm; the running state is kept. */
    public Digest digest(DigestAlgorithm algorithm) {
        if (algorithm == DigestAlgorithm.SHA256) {
            SHA256Digest copy = new SHA256Digest(sha256);
            byte[] out = new byte[copy.getDigestSize()];
            copy.doFinal(out, 0);
            return Digest.of(algorithm, out);
        }
        SHA512Digest copy = new SHA512Digest(sha512);
        byte[] out = new byte[copy.getDigestSize()];
        copy.doFinal(out, 0);
        return Digest.of(algorithm, out);
    }
}
