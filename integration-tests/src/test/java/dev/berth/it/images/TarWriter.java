package dev.berth.it.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small POSIX ustar writer: directories, regular files and symbolic links, names up to 100 bytes,
 * fixed owner (0:0) and modification time, so that the same input gives the same bytes.
 */
public final class TarWriter {

    private static final int BLOCK = 512;
    public static final long MTIME = 1_700_000_000L;

    private final OutputStream out;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Content written into a file entry; must write exactly the declared size. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    public void directory(String name) throws IOException {
        writeHeader(name.endsWith("/") ? name : name + "/", '5', 0755, 0, "");
    }

    public void file(String name, byte[] content) throws IOException {
        file(name, 0644, content.length, o -> o.write(content));
    }

    public void file(String name, int mode, long size, Content content) throws IOException {
        writeHeader(name, '0', mode, size, "");
        CountingOutputStream counting = new CountingOutputStream(out);
        content.writeTo(counting);
        if (counting.count != size) {
            throw new IllegalStateException(name + ": wrote " + counting.count + " bytes, declared " + size);
        }
        pad(size);
    }

    public void symlink(String name, String target) throws IOException {
        writeHeader(name, '2', 0777, 0, target);
    }

    /** The two zero blocks that end an archive; the stream is left open. */
    public void finish() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    private void writeHeader(String name, char type, int mode, long size, String linkName) throws IOException {
        byte[] header = new byte[BLOCK];
        put(header, 0, 100, name);
        octal(header, 100, 8, mode);
        octal(header, 108, 8, 0);
        octal(header, 116, 8, 0);
        octal(header, 124, 12, size);
        octal(header, 136, 12, MTIME);
        Arrays.fill(header, 148, 156, (byte) ' ');
        header[156] = (byte) type;
        put(header, 157, 100, linkName);
        put(header, 257, 6, "ustar");
        put(header, 263, 2, "00");
        put(header, 265, 32, "root");
        put(header, 297, 32, "root");
        octal(header, 329, 8, 0);
        octal(header, 337, 8, 0);
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        String checksum = String.format("%06o", sum);
        put(header, 148, 6, checksum);
        header[154] = 0;
        header[155] = ' ';
        out.write(header);
    }

    private static void put(byte[] header, int offset, int length, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > length) {
            throw new IllegalArgumentException("too long for a ustar field of " + length + ": " + value);
        }
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        String padded = "0".repeat(Math.max(0, length - 1 - digits.length())) + digits;
        put(header, offset, length - 1, padded);
        header[offset + length - 1] = 0;
    }

    private static final class CountingOutputStream extends OutputStream {
        private final OutputStream delegate;
        private long count;

        CountingOutputStream(OutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(int b) throws IOException {
            delegate.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            delegate.write(b, off, len);
            count += len;
        }
    }
}
