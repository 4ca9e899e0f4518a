package dev.berth.it.harness;

import java.net.URI;

/** A Berth service process on 127.0.0.1 (catalog-service, gc-worker): its port, URLs and process. */
public abstract class ServiceProcess implements AutoCloseable {

    private final String label;
    private final int port;
    private final ManagedProcess process;

    protected ServiceProcess(String label, int port, ManagedProcess process) {
        this.label = label;
        this.port = port;
        this.process = process;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public URI uri(String pathAndQuery) {
        return URI.create(baseUrl() + pathAndQuery);
    }

    public ManagedProcess process() {
        return process;
    }

    /** kill -9, waiting until the process is gone. */
    public void kill9() {
        process.kill9();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return label + " at " + baseUrl();
    }
}
