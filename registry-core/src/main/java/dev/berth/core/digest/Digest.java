package dev.berth.core.digest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:9f86…}. Only registered algorithms with lower-case hex of
 * the right length are accepted, so a digest can safely become part of a storage path.
 */
public final class Digest {
    /** The grammar of the OCI image spec; anything that matches but is not registered is "unsupported". */
    private static final Pattern GRAMMAR = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

    private final DigestAlgorithm algorithm;
    private final String hex;

    private Digest(DigestAlgorithm algorithm, String hex) {
        this.algorithm = algorithm;
        this.hex = hex;
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] rawDigest) {
        return new Digest(algorithm, HexFormat.of().formatHex(rawDigest));
    }

    /** Parses a digest string, throwing {@link InvalidDigestException} with a message fit for a client. */
    public static Digest parse(String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidDigestException("digest is missing");
        }
        if (value.length() > 256 || !GRAMMAR.matcher(value).matches()) {
            throw new InvalidDigestException("invalid digest format: " + abbreviate(value));
        }
        int colon = value.indexOf(':');
        String prefix = value.substring(0, colon);
        String hex = value.substring(colon + 1);
        DigestAlgorithm algorithm = DigestAlgorithm.byPrefix(prefix)
                .orElseThrow(() -> new InvalidDigestException("unsupported digest algorithm: " + prefix));
        if (!algorithm.isValidEncoded(hex)) {
            throw new InvalidDigestException("invalid " + prefix + " digest: expected " + algorithm.hexLength()
                    + " lower-case hex characters");
        }
        return new Digest(algorithm, hex);
    }

    /** True if {@code value} is shaped like a digest (has a colon), as opposed to a tag. */
    public static boolean looksLikeDigest(String value) {
        return value.indexOf(':') > 0;
    }

    public static Digest sha256Of(byte[] content) {
        return compute(DigestAlgorithm.SHA256, content);
    }

    public static Digest compute(DigestAlgorithm algorithm, byte[] content) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm == DigestAlgorithm.SHA256 ? "SHA-256" : "SHA-512");
            return of(algorithm, md.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Digest sha256Of(String content) {
        return sha256Of(content.getBytes(StandardCharsets.UTF_8));
    }

    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    public String hex() {
        return hex;
    }

    @Override
    public String toString() {
        return algorithm.prefix() + ":" + hex;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && d.algorithm == algorithm && d.hex.equals(hex);
    }

    @Override
    public int hashCode() {
        return Objects.hash(algorithm, hex);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
