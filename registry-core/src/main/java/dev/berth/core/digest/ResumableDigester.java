package dev.berth.core.digest;

import java.nio.ByteBuffer;
import java.util.Base64;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * The digest of an upload, computed as its chunks stream by. The state can be exported after a chunk
 * and restored by any replica for the next one, so committing an upload never re-reads the blob.
 *
 * <p>SHA-256 is always computed (see {@link Sha256State} for the fast path). SHA-512 is computed too
 * when the client named a sha512 digest before sending the bytes (a monolithic upload); for a chunked
 * upload that asks for sha512 only at commit, the registry re-reads the upload once to check it.
 */
public final class ResumableDigester {
    private static final byte STATE_VERSION = 2;

    private final Sha256State sha256;
    private final SHA512Digest sha512;

    private ResumableDigester(Sha256State sha256, SHA512Digest sha512) {
        this.sha256 = sha256;
        this.sha512 = sha512;
    }

    public static ResumableDigester fresh() {
        return new ResumableDigester(Sha256State.create(), null);
    }

    /** A fresh digester that also tracks SHA-512. */
    public static ResumableDigester freshWithSha512() {
        return new ResumableDigester(Sha256State.create(), new SHA512Digest());
    }

    /** Whether SHA-256 runs on the JDK's (hardware-accelerated) implementation in this JVM. */
    public static boolean fastSha256() {
        return Sha256State.fastPathAvailable();
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
        Sha256State sha256 = Sha256State.create();
        sha256.restore(Sha256State.Snapshot.decode(buf));
        SHA512Digest sha512 = null;
        if (buf.get() == 1) {
            byte[] s512 = new byte[buf.getInt()];
            buf.get(s512);
            sha512 = new SHA512Digest(s512);
        }
        return new ResumableDigester(sha256, sha512);
    }

    public void update(byte[] data, int offset, int length) {
        sha256.update(data, offset, length);
        if (sha512 != null) {
            sha512.update(data, offset, length);
        }
    }

    public void update(byte[] data) {
        update(data, 0, data.length);
    }

    public boolean tracks(DigestAlgorithm algorithm) {
        return algorithm == DigestAlgorithm.SHA256 || sha512 != null;
    }

    /** The serialised state (Base64 text, safe to store in a database column). */
    public String exportState() {
        byte[] s256 = sha256.snapshot().encode();
        byte[] s512 = sha512 == null ? new byte[0] : sha512.getEncodedState();
        ByteBuffer buf = ByteBuffer.allocate(1 + s256.length + 1 + (sha512 == null ? 0 : 4 + s512.length));
        buf.put(STATE_VERSION).put(s256).put((byte) (sha512 == null ? 0 : 1));
        if (sha512 != null) {
            buf.putInt(s512.length).put(s512);
        }
        return Base64.getEncoder().encodeToString(buf.array());
    }

    /**
     * The digest of everything seen so far, in the requested algorithm; the running state is kept.
     *
     * @throws IllegalStateException for SHA-512 when it is not tracked (see {@link #tracks})
     */
    public Digest digest(DigestAlgorithm algorithm) {
        if (algorithm == DigestAlgorithm.SHA256) {
            return Digest.of(algorithm, sha256.digest());
        }
        if (sha512 == null) {
            throw new IllegalStateException("SHA-512 is not tracked for this upload");
        }
        SHA512Digest copy = new SHA512Digest(sha512);
        byte[] out = new byte[copy.getDigestSize()];
        copy.doFinal(out, 0);
        return Digest.of(algorithm, out);
    }
}
