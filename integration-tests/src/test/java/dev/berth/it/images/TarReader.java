package dev.berth.it.images;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a tar stream (ustar, GNU long names, pax path/linkpath records) into a summary of its entries:
 * type, size, sha256 of the content and link target. Enough to compare what a client pulled with what a
 * test generated.
 */
public final class TarReader {

    private TarReader() {
    }

    /** An entry: {@code type} is 'f' (file), 'd' (directory), 'l' (symlink), 'h' (hard link) or 'o' (other). */
    public record Entry(String name, char type, long size, String sha256, String linkTarget) {

        public static Entry file(String name, byte[] content) {
            return new Entry(name, 'f', content.length, Digests.sha256(content), "");
        }

        public static Entry file(String name, long size, String sha256) {
            return new Entry(name, 'f', size, sha256, "");
        }

        public static Entry directory(String name) {
            return new Entry(name, 'd', 0, "", "");
        }

        public static Entry symlink(String name, String target) {
            return new Entry(name, 'l', 0, "", target);
        }
    }

    /** Normalised entry names ("./a/b/" becomes "a/b") to entries, in archive order. */
    public static Map<String, Entry> read(InputStream in) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        byte[] header = new byte[512];
        String longName = null;
        String longLink = null;
        int bounded = 0;
        while (bounded++ < 1_000_000) {
            if (!readFully(in, header)) {
                break;
            }
            if (isZero(header)) {
                break;
            }
            char typeFlag = (char) header[156];
            long size = parseOctal(header, 124, 12);
            String name = string(header, 0, 100);
            String magic = string(header, 257, 6);
            if (magic.startsWith("ustar")) {
                String prefix = string(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            String link = string(header, 157, 100);
            if (typeFlag == 'L' || typeFlag == 'K' || typeFlag == 'x' || typeFlag == 'g') {
                byte[] data = readData(in, size);
                if (typeFlag == 'L') {
                    longName = cString(data);
                } else if (typeFlag == 'K') {
                    longLink = cString(data);
                } else if (typeFlag == 'x') {
                    Map<String, String> pax = parsePax(data);
                    if (pax.containsKey("path")) {
                        longName = pax.get("path");
                    }
                    if (pax.containsKey("linkpath")) {
                        longLink = pax.get("linkpath");
                    }
                }
                continue;
            }
            if (longName != null) {
                name = longName;
                longName = null;
            }
            if (longLink != null) {
                link = longLink;
                longLink = null;
            }
            String normalised = normalise(name);
            switch (typeFlag) {
                case '0', '\0', '7' -> {
                    String sha = digestData(in, size);
                    entries.put(normalised, new Entry(normalised, 'f', size, sha, ""));
                }
                case '5' -> {
                    skipData(in, size);
                    entries.put(normalised, Entry.directory(normalised));
                }
                case '2' -> {
                    skipData(in, size);
                    entries.put(normalised, Entry.symlink(normalised, link));
                }
                case '1' -> {
                    skipData(in, size);
                    entries.put(normalised, new Entry(normalised, 'h', 0, "", normalise(link)));
                }
                default -> {
                    skipData(in, size);
                    entries.put(normalised, new Entry(normalised, 'o', size, "", link));
                }
            }
        }
        return entries;
    }

    public static String normalise(String name) {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    private static Map<String, String> parsePax(byte[] data) {
        Map<String, String> records = new LinkedHashMap<>();
        int pos = 0;
        while (pos < data.length) {
            int space = indexOf(data, (byte) ' ', pos);
            if (space < 0) {
                break;
            }
            int length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.UTF_8).trim());
            if (length <= 0) {
                break;
            }
            String record = new String(data, space + 1, pos + length - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                records.put(record.substring(0, eq), record.substring(eq + 1));
            }
            pos += length;
        }
        return records;
    }

    private static int indexOf(byte[] data, byte value, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static String digestData(InputStream in, long size) throws IOException {
        MessageDigest digest = Digests.newSha256();
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("tar entry cut short");
            }
            digest.update(buffer, 0, n);
            left -= n;
        }
        skipPadding(in, size);
        return Digests.format(digest.digest());
    }

    private static byte[] readData(InputStream in, long size) throws IOException {
        if (size > 1 << 20) {
            throw new IOException("tar meta entry too large: " + size);
        }
        byte[] data = new byte[(int) size];
        if (!readFully(in, data) && size > 0) {
            throw new EOFException("tar meta entry cut short");
        }
        skipPadding(in, size);
        return data;
    }

    private static void skipData(InputStream in, long size) throws IOException {
        long left = size + padding(size);
        byte[] buffer = new byte[8192];
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("tar entry cut short");
            }
            left -= n;
        }
    }

    private static void skipPadding(InputStream in, long size) throws IOException {
        long pad = padding(size);
        byte[] buffer = new byte[(int) pad];
        if (pad > 0 && !readFully(in, buffer)) {
            throw new EOFException("tar padding cut short");
        }
    }

    private static long padding(long size) {
        long rest = size % 512;
        return rest == 0 ? 0 : 512 - rest;
    }

    private static boolean readFully(InputStream in, byte[] buffer) throws IOException {
        int read = 0;
        while (read < buffer.length) {
            int n = in.read(buffer, read, buffer.length - read);
            if (n < 0) {
                if (read == 0) {
                    return false;
                }
                throw new EOFException("tar stream cut short");
            }
            read += n;
        }
        return true;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static long parseOctal(byte[] header, int offset, int length) {
        if ((header[offset] & 0x80) != 0) {
            // base-256 (GNU) for very large sizes
            long value = 0;
            for (int i = offset + 1; i < offset + length; i++) {
                value = (value << 8) | (header[i] & 0xff);
            }
            return value;
        }
        String text = string(header, offset, length).trim();
        return text.isEmpty() ? 0 : Long.parseLong(text, 8);
    }

    private static String string(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String cString(byte[] data) {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }
}
