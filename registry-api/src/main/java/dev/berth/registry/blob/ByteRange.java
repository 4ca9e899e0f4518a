package dev.berth.registry.blob;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A single satisfiable byte range of a {@code Range: bytes=…} header, resolved against a size. */
public record ByteRange(long start, long length) {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    /** Thrown for a range that cannot be served ({@code 416}). */
    public static final class Unsatisfiable extends RuntimeException {
        public Unsatisfiable() {
            super(null, null, false, false);
        }
    }

    /**
     * Parses a Range header. Returns {@code null} when the header is absent or not a single byte range
     * we understand (then the whole blob is served, as RFC 9110 allows).
     */
    public static ByteRange parse(String header, long size) {
        if (header == null) {
            return null;
        }
        Matcher m = SINGLE.matcher(header.trim());
        if (!m.matches()) {
            return null;
        }
        String first = m.group(1);
        String last = m.group(2);
        try {
            if (first.isEmpty()) {
                if (last.isEmpty()) {
                    return null;
                }
                long suffix = Long.parseLong(last);
                if (suffix == 0 || size == 0) {
                    throw new Unsatisfiable();
                }
                long len = Math.min(suffix, size);
                return new ByteRange(size - len, len);
            }
            long start = Long.parseLong(first);
            if (start >= size) {
                throw new Unsatisfiable();
            }
            long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
            if (end < start) {
                throw new Unsatisfiable();
            }
            return new ByteRange(start, end - start + 1);
        } catch (NumberFormatException tooLarge) {
            throw new Unsatisfiable();
        }
    }

    public long end() {
        return start + length - 1;
    }
}
