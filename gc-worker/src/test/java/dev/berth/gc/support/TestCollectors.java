package dev.berth.gc.support;

import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Collectors for the tests of runs: they count, wait for each other and fail on command (static switches). */
public final class TestCollectors {
    private TestCollectors() {
    }

    public static void reset() {
        Shared.threads.clear();
        Shared.participants.set(1);
        Single.runs.set(0);
        Single.entered.set(0);
        Single.hold = false;
        Failing.fail = true;
    }

    /** SHARED: each worker reports 1 object of 10 bytes, then waits until {@link #participants} workers are in. */
    @ApplicationScoped
    public static class Shared implements Collector {
        public static final Set<String> threads = ConcurrentHashMap.newKeySet();
        public static final AtomicInteger participants = new AtomicInteger(1);

        @Override
        public String name() {
            return "test-shared";
        }

        @Override
        public Mode mode() {
            return Mode.SHARED;
        }

        @Override
        public void collect(RunScope scope) throws Exception {
            threads.add(Thread.currentThread().getName());
            scope.report(name(), 1, 10);
            scope.progress(name(), threads.size() + " in");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (threads.size() < participants.get() && System.nanoTime() < deadline && !scope.stopping()) {
                Thread.sleep(20);
            }
        }
    }

    /** SINGLE: counts its runs and reports 1 object of 100 bytes; while {@link #hold}, waits until told to stop. */
    @ApplicationScoped
    public static class Single implements Collector {
        public static final AtomicInteger runs = new AtomicInteger();
        public static final AtomicInteger entered = new AtomicInteger();
        public static volatile boolean hold;

        @Override
        public String name() {
            return "test-single";
        }

        @Override
        public Mode mode() {
            return Mode.SINGLE;
        }

        @Override
        public void collect(RunScope scope) throws InterruptedException {
            entered.incrementAndGet();
            while (hold) {
                if (scope.stopping()) {
                    return;
                }
                Thread.sleep(20);
            }
            runs.incrementAndGet();
            scope.report(name(), 1, 100);
            scope.progress(name(), "done");
        }
    }

    /** SHARED: counts an error for one object, then fails when {@link #fail}. */
    @ApplicationScoped
    public static class Failing implements Collector {
        public static volatile boolean fail = true;

        @Override
        public String name() {
            return "test-fail";
        }

        @Override
        public Mode mode() {
            return Mode.SHARED;
        }

        @Override
        public void collect(RunScope scope) {
            scope.error(name(), "object x could not be deleted");
            if (fail) {
                throw new IllegalStateException("boom on command");
            }
        }
    }
}
