package dev.berth.core.digest;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A SHA-256 computation whose state can be exported after any byte and imported by another process.
 *
 * <p>Fast path: the JDK's own SHA-256 (which HotSpot compiles to the CPU's SHA instructions), with
 * its internal state read and written directly (see {@link Jdk}). On a JDK whose internals differ, a
 * portable implementation with the same state format is used: same digests, same states, about eight
 * times slower. Both paths are checked against each other at class load.
 */
abstract sealed class Sha256State permits Sha256State.Jdk, Sha256State.Portable {
    static final int BLOCK = 64;

    /** Which implementation new instances use; decided once. */
    static final boolean JDK_PATH = Jdk.available();

    static Sha256State create() {
        return JDK_PATH ? new Jdk() : new Portable();
    }

    /** Whether the fast JDK path is in use (for a start-up log line). */
    static boolean fastPathAvailable() {
        return JDK_PATH;
    }

    abstract void update(byte[] data, int offset, int length);

    /** The digest of all bytes so far; the running state is kept. */
    abstract byte[] digest();

    /** H0..H7, the partial block, and the byte count. */
    abstract Snapshot snapshot();

    abstract void restore(Snapshot snapshot);

    record Snapshot(int[] h, byte[] partial, long count) {
        byte[] encode() {
            ByteBuffer buf = ByteBuffer.allocate(8 + 4 * 8 + 1 + partial.length);
            buf.putLong(count);
            for (int v : h) {
                buf.putInt(v);
            }
            buf.put((byte) partial.length).put(partial);
            return buf.array();
        }

        static Snapshot decode(ByteBuffer buf) {
            long count = buf.getLong();
            int[] h = new int[8];
            for (int i = 0; i < 8; i++) {
                h[i] = buf.getInt();
            }
            byte[] partial = new byte[buf.get() & 0xff];
            buf.get(partial);
            if (partial.length >= BLOCK || count % BLOCK != partial.length) {
                throw new IllegalStateException("corrupt SHA-256 state");
            }
            return new Snapshot(h, partial, count);
        }
    }

    /**
     * The JDK implementation with its internal fields read and written directly: through reflection when
     * the JDK packages are opened to us, else through {@code sun.misc.Unsafe} field offsets (which needs
     * no command-line flag on JDK 17 to 25).
     */
    static final class Jdk extends Sha256State {
        private static final FieldAccess SPI;
        private static final FieldAccess STATE;
        private static final FieldAccess BUFFER;
        private static final FieldAccess BUF_OFS;
        private static final FieldAccess BYTES;

        static {
            FieldAccess spi = null;
            FieldAccess state = null;
            FieldAccess buffer = null;
            FieldAccess bufOfs = null;
            FieldAccess bytes = null;
            try {
                Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
                Class<?> base = Class.forName("sun.security.provider.DigestBase");
                spi = FieldAccess.of(Class.forName("java.security.MessageDigest$Delegate").getDeclaredField("digestSpi"));
                state = FieldAccess.of(sha2.getDeclaredField("state"));
                buffer = FieldAccess.of(base.getDeclaredField("buffer"));
                bufOfs = FieldAccess.of(base.getDeclaredField("bufOfs"));
                bytes = FieldAccess.of(base.getDeclaredField("bytesProcessed"));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                spi = null;
            }
            SPI = spi;
            STATE = state;
            BUFFER = buffer;
            BUF_OFS = bufOfs;
            BYTES = bytes;
        }

        private final MessageDigest md;
        private final Object spi;

        Jdk() {
            try {
                md = MessageDigest.getInstance("SHA-256", "SUN");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            spi = SPI.getObject(md);
        }

        static boolean available() {
            if (SPI == null) {
                return false;
            }
            try {
                // the two paths must agree on digests and on states, at every boundary
                byte[] data = new byte[1000];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (i * 31 + 7);
                }
                Jdk jdk = new Jdk();
                jdk.update(data, 0, 321);
                Portable portable = new Portable();
                portable.restore(jdk.snapshot());
                portable.update(data, 321, 679);
                Jdk again = new Jdk();
                again.restore(portable.snapshot());
                return Arrays.equals(again.digest(), MessageDigest.getInstance("SHA-256").digest(data))
                        && Arrays.equals(portable.digest(), again.digest());
            } catch (Exception | LinkageError e) {
                return false;
            }
        }

        @Override
        void update(byte[] data, int offset, int length) {
            md.update(data, offset, length);
        }

        @Override
        byte[] digest() {
            try {
                return ((MessageDigest) md.clone()).digest();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        Snapshot snapshot() {
            int[] h = ((int[]) STATE.getObject(spi)).clone();
            byte[] buffer = (byte[]) BUFFER.getObject(spi);
            int ofs = BUF_OFS.getInt(spi);
            return new Snapshot(h, Arrays.copyOf(buffer, ofs), BYTES.getLong(spi));
        }

        @Override
        void restore(Snapshot s) {
            int[] state = (int[]) STATE.getObject(spi);
            System.arraycopy(s.h(), 0, state, 0, 8);
            byte[] buffer = (byte[]) BUFFER.getObject(spi);
            System.arraycopy(s.partial(), 0, buffer, 0, s.partial().length);
            BUF_OFS.setInt(spi, s.partial().length);
            BYTES.setLong(spi, s.count());
        }
    }

    /** Reads and writes one instance field, by reflection if allowed, else by Unsafe offset. */
    private abstract static class FieldAccess {
        abstract Object getObject(Object target);

        abstract int getInt(Object target);

        abstract void setInt(Object target, int value);

        abstract long getLong(Object target);

        abstract void setLong(Object target, long value);

        static FieldAccess of(Field field) throws ReflectiveOperationException {
            try {
                field.setAccessible(true);
                return new Reflective(field);
            } catch (RuntimeException notOpened) {
                return new ByOffset(field);
            }
        }

        private static final class Reflective extends FieldAccess {
            private final Field f;

            Reflective(Field f) {
                this.f = f;
            }

            @Override
            Object getObject(Object t) {
                try {
                    return f.get(t);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            int getInt(Object t) {
                try {
                    return f.getInt(t);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            void setInt(Object t, int v) {
                try {
                    f.setInt(t, v);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            long getLong(Object t) {
                try {
                    return f.getLong(t);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            void setLong(Object t, long v) {
                try {
                    f.setLong(t, v);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        @SuppressWarnings({"deprecation", "removal"})
        private static final class ByOffset extends FieldAccess {
            private static final sun.misc.Unsafe UNSAFE;

            static {
                try {
                    Field theUnsafe = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                    theUnsafe.setAccessible(true);
                    UNSAFE = (sun.misc.Unsafe) theUnsafe.get(null);
                } catch (ReflectiveOperationException e) {
                    throw new ExceptionInInitializerError(e);
                }
            }

            private final long offset;

            ByOffset(Field f) {
                this.offset = UNSAFE.objectFieldOffset(f);
            }

            @Override
            Object getObject(Object t) {
                return UNSAFE.getObject(t, offset);
            }

            @Override
            int getInt(Object t) {
                return UNSAFE.getInt(t, offset);
            }

            @Override
            void setInt(Object t, int v) {
                UNSAFE.putInt(t, offset, v);
            }

            @Override
            long getLong(Object t) {
                return UNSAFE.getLong(t, offset);
            }

            @Override
            void setLong(Object t, long v) {
                UNSAFE.putLong(t, offset, v);
            }
        }
    }

    /** FIPS 180-4 SHA-256 in plain Java, with the same state as the JDK path. */
    static final class Portable extends Sha256State {
        private static final int[] K = {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
        private static final int[] INITIAL = {
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

        private final int[] h = INITIAL.clone();
        private final byte[] buffer = new byte[BLOCK];
        private final int[] w = new int[64];
        private int bufferLength;
        private long count;

        @Override
        void update(byte[] data, int offset, int length) {
            count += length;
            int pos = offset;
            int end = offset + length;
            if (bufferLength > 0) {
                int take = Math.min(BLOCK - bufferLength, length);
                System.arraycopy(data, pos, buffer, bufferLength, take);
                bufferLength += take;
                pos += take;
                if (bufferLength < BLOCK) {
                    return;
                }
                compress(h, buffer, 0);
                bufferLength = 0;
            }
            while (end - pos >= BLOCK) {
                compress(h, data, pos);
                pos += BLOCK;
            }
            System.arraycopy(data, pos, buffer, 0, end - pos);
            bufferLength = end - pos;
        }

        @Override
        byte[] digest() {
            int[] hh = h.clone();
            byte[] last = new byte[bufferLength < 56 ? BLOCK : 2 * BLOCK];
            System.arraycopy(buffer, 0, last, 0, bufferLength);
            last[bufferLength] = (byte) 0x80;
            ByteBuffer.wrap(last, last.length - 8, 8).putLong(count * 8);
            for (int off = 0; off < last.length; off += BLOCK) {
                compress(hh, last, off);
            }
            ByteBuffer out = ByteBuffer.allocate(32);
            for (int v : hh) {
                out.putInt(v);
            }
            return out.array();
        }

        @Override
        Snapshot snapshot() {
            return new Snapshot(h.clone(), Arrays.copyOf(buffer, bufferLength), count);
        }

        @Override
        void restore(Snapshot s) {
            System.arraycopy(s.h(), 0, h, 0, 8);
            System.arraycopy(s.partial(), 0, buffer, 0, s.partial().length);
            bufferLength = s.partial().length;
            count = s.count();
        }

        private void compress(int[] state, byte[] block, int off) {
            for (int t = 0; t < 16; t++) {
                int i = off + 4 * t;
                w[t] = (block[i] & 0xff) << 24 | (block[i + 1] & 0xff) << 16 | (block[i + 2] & 0xff) << 8
                        | block[i + 3] & 0xff;
            }
            for (int t = 16; t < 64; t++) {
                int s0 = Integer.rotateRight(w[t - 15], 7) ^ Integer.rotateRight(w[t - 15], 18) ^ (w[t - 15] >>> 3);
                int s1 = Integer.rotateRight(w[t - 2], 17) ^ Integer.rotateRight(w[t - 2], 19) ^ (w[t - 2] >>> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }
            int a = state[0], b = state[1], c = state[2], d = state[3];
            int e = state[4], f = state[5], g = state[6], hh = state[7];
            for (int t = 0; t < 64; t++) {
                int s1 = Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25);
                int ch = (e & f) ^ (~e & g);
                int t1 = hh + s1 + ch + K[t] + w[t];
                int s0 = Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22);
                int maj = (a & b) ^ (a & c) ^ (b & c);
                int t2 = s0 + maj;
                hh = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }
            state[0] += a;
            state[1] += b;
            state[2] += c;
            state[3] += d;
            state[4] += e;
            state[5] += f;
            state[6] += g;
            state[7] += hh;
        }
    }
}
