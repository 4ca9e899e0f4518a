package dev.berth.it.e2e;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/** Requests, bytes and latencies per operation of a load, and a report of them (p50, p99, throughput). */
public final class LoadMetrics {

    private final Map<String, ConcurrentLinkedQueue<Long>> latencies = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();

    void record(String operation, long nanos, long sent, long received) {
        latencies.computeIfAbsent(operation, o -> new ConcurrentLinkedQueue<>()).add(nanos);
        requests.incrementAndGet();
        bytesSent.addAndGet(Math.max(0, sent));
        bytesReceived.addAndGet(Math.max(0, received));
    }

    public long requests() {
        return requests.get();
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** A table: per operation count, p50, p99 and max in ms; totals and throughput over {@code seconds}. */
    public String report(double seconds) {
        StringBuilder text = new StringBuilder();
        text.append(String.format("%-16s %8s %9s %9s %9s%n", "operation", "requests", "p50 ms", "p99 ms", "max ms"));
        for (Map.Entry<String, ConcurrentLinkedQueue<Long>> entry : new TreeMap<>(latencies).entrySet()) {
            List<Long> sorted = new ArrayList<>(entry.getValue());
            Collections.sort(sorted);
            text.append(String.format("%-16s %8d %9.1f %9.1f %9.1f%n", entry.getKey(), sorted.size(),
                    percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6));
        }
        double mib = 1024.0 * 1024.0;
        text.append(String.format("total %d requests in %.1f s: %.1f requests/s; sent %.1f MiB (%.2f MiB/s), "
                + "received %.1f MiB (%.2f MiB/s)", requests(), seconds, requests() / seconds, bytesSent() / mib,
                bytesSent() / mib / seconds, bytesReceived() / mib, bytesReceived() / mib / seconds));
        return text.toString();
    }

    private static double percentile(List<Long> sorted, double p) {
        int index = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1e6;
    }
}
