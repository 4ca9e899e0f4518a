package dev.berth.registry.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * A WARN that is written at most once per interval; the lines skipped meanwhile are counted in the next one.
 * For failures that hit every request while they last (the database stopped): the log says what happens
 * without one line per request.
 */
final class ThrottledLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong skipped = new AtomicLong();

    ThrottledLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    void warn(String message) {
        long now = System.nanoTime();
        long next = nextAt.get();
        if (next != Long.MIN_VALUE && now - next < 0 || !nextAt.compareAndSet(next, now + intervalNanos)) {
            skipped.incrementAndGet();
            return;
        }
        long before = skipped.getAndSet(0);
        log.warn(before == 0 ? message : message + " (and " + before + " more since the last such line)");
    }
}
