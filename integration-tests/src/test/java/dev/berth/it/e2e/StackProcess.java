package dev.berth.it.e2e;

import java.net.URI;
import java.time.Duration;
import java.util.function.IntFunction;

import dev.berth.it.harness.Http;
import dev.berth.it.harness.ManagedProcess;

/**
 * One service process of the {@link E2eStack} (a registry-api replica, token-service, catalog-service, a gc-worker)
 * on a fixed port of 127.0.0.1: a fault test kills it ({@link #kill9()}) or stops it ({@link #stop()}) and starts it
 * again ({@link #start()}) on the same address, so clients and the other services find it where it was.
 */
public final class StackProcess implements AutoCloseable {

    private final String name;
    private final int port;
    /** Starts the service on the port and waits until it is ready (the harness's XxxProcess.start). */
    private final IntFunction<ManagedProcess> starter;
    private volatile ManagedProcess current;
    private int starts;

    StackProcess(String name, int port, IntFunction<ManagedProcess> starter) {
        this.name = name;
        this.port = port;
        this.starter = starter;
    }

    /** Starts it (waiting until {@code /q/health/ready} answers 200); a no-op while it runs. */
    public synchronized StackProcess start() {
        if (current != null && current.isAlive()) {
            return this;
        }
        current = starter.apply(port);
        starts++;
        return this;
    }

    /** kill -9, waiting until the process is gone. */
    public synchronized void kill9() {
        if (current != null && current.isAlive()) {
            current.kill9();
        }
    }

    /** A graceful stop (SIGTERM, a bounded wait, then SIGKILL). */
    public synchronized void stop() {
        if (current != null) {
            current.close();
        }
    }

    /** Stops it if it runs, then starts it again. */
    public synchronized void restart() {
        stop();
        start();
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as in image references. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public String baseUrl() {
        return "http://" + hostPort();
    }

    public URI uri(String pathAndQuery) {
        return URI.create(baseUrl() + pathAndQuery);
    }

    public boolean isAlive() {
        ManagedProcess process = current;
        return process != null && process.isAlive();
    }

    /** Alive and {@code /q/health/ready} answers 200. */
    public boolean isReady() {
        return isAlive() && Http.statusOrMinusOne(uri("/q/health/ready")) == 200;
    }

    /** Waits (bounded) until it is ready; fails with its log tail otherwise. */
    public void awaitReady(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!isReady()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " not ready within " + limit.toSeconds() + " s:\n" + describe());
            }
            ManagedProcess.sleep(200);
        }
    }

    /** The current process (its pid, log); null before the first start. */
    public ManagedProcess process() {
        return current;
    }

    public long pid() {
        ManagedProcess process = current;
        return process == null ? -1 : process.pid();
    }

    /** How often it was started (1 after the stack came up). */
    public synchronized int starts() {
        return starts;
    }

    public String describe() {
        ManagedProcess process = current;
        return process == null ? name + " (never started)" : process.describe();
    }

    @Override
    public synchronized void close() {
        stop();
    }

    @Override
    public String toString() {
        return name + " at " + hostPort();
    }
}
