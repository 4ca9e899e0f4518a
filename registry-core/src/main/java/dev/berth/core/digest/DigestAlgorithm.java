package dev.berth.core.digest;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** The digest algorithms the registry accepts and verifies (OCI image spec: sha256 and sha512). */
public enum DigestAlgorithm {
    SHA256("sha256", 64),
    SHA512("sha512", 128);

    private final String prefix;
    private final int hexLength;
    private final Pattern encoded;

    DigestAlgorithm(String prefix, int hexLength) {
        this.prefix = prefix;
        this.hexLength = hexLength;
        this.encoded = Pattern.compile("[a-f0-9]{" + hexLength + "}");
    }

    public String prefix() {
        return prefix;
    }

    public int hexLength() {
        return hexLength;
    }

    boolean isValidEncoded(String hex) {
        return encoded.matcher(hex).matches();
    }

    public static Optional<DigestAlgorithm> byPrefix(String prefix) {
        String p = prefix.toLowerCase(Locale.ROOT);
        for (DigestAlgorithm a : values()) {
            if (a.prefix.equals(p)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
