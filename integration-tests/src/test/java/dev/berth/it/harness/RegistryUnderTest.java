package dev.berth.it.harness;

import java.net.URI;

/** A running registry that the client tests push to and pull from. */
public interface RegistryUnderTest {

    /** "berth" or "peer". */
    String kind();

    /** host:port as clients name it in image references, e.g. 127.0.0.1:41234. */
    String hostPort();

    /** http://host:port */
    default URI baseUri() {
        return URI.create("http://" + hostPort());
    }

    /** An image reference in this registry: {@code host:port/repository:tag}. */
    default String ref(String repository, String tag) {
        return hostPort() + "/" + repository + ":" + tag;
    }

    /** For failure messages: what runs and where its log is. */
    String describe();

    default boolean isBerth() {
        return "berth".equals(kind());
    }
}
