package dev.berth.it.images;

import java.io.IOException;
import java.io.OutputStream;
import java.util.SplittableRandom;

/**
 * Random bytes from a seeded generator: every run pushes content no registry has seen, and a failing
 * run can be reproduced from the printed seed.
 */
public final class RandomContent {

    private final long seed;
    private final SplittableRandom random;

    public RandomContent(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** A generator seeded from the clock (the seed is printed). */
    public static RandomContent fresh(String purpose) {
        long seed = System.nanoTime() ^ Double.doubleToLongBits(Math.random());
        System.out.printf("[berth-it] random content for %s: seed %d%n", purpose, seed);
        return new RandomContent(seed);
    }

    public long seed() {
        return seed;
    }

    public byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Streams {@code size} random bytes to {@code out}. */
    public void write(OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = (int) Math.min(buffer.length, left);
            random.nextBytes(buffer);
            out.write(buffer, 0, n);
            left -= n;
        }
    }
}
