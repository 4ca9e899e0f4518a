package dev.berth.gc.collector;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** A run as a collector sees it, recording what the collector reports. */
public class TestScope implements RunScope {
    private final UUID id = UUID.randomUUID();
    private final boolean dryRun;
    private final Map<String, AtomicLong> objects = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();
    public final List<String> errors = new CopyOnWriteArrayList<>();
    public volatile boolean stop;

    public TestScope(boolean dryRun) {
        this.dryRun = dryRun;
    }

    @Override
    public UUID runId() {
        return id;
    }

    @Override
    public boolean dryRun() {
        return dryRun;
    }

    @Override
    public boolean stopping() {
        return stop;
    }

    @Override
    public void report(String collector, long objects, long bytes) {
        this.objects.computeIfAbsent(collector, c -> new AtomicLong()).addAndGet(objects);
        this.bytes.computeIfAbsent(collector, c -> new AtomicLong()).addAndGet(bytes);
    }

    @Override
    public void error(String collector, String message) {
        errors.add(collector + ": " + message);
    }

    @Override
    public void progress(String collector, String message) {
    }

    public long objects(String collector) {
        return objects.getOrDefault(collector, new AtomicLong()).get();
    }

    public long bytes(String collector) {
        return bytes.getOrDefault(collector, new AtomicLong()).get();
    }
}
