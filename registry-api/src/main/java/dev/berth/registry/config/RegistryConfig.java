package dev.berth.registry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** Typed {@code registry.*} settings; each default here is the documented one (see README). */
@ConfigMapping(prefix = "registry")
public interface RegistryConfig {

    Storage storage();

    Manifests manifests();

    Lists lists();

    interface Storage {
        /** {@code filesystem} (embedded default); {@code s3} arrives with the production issue. */
        @WithDefault("filesystem")
        String type();

        Filesystem filesystem();

        interface Filesystem {
            /** Folder holding {@code blobs/} and {@code uploads/}. */
            @WithDefault("data/storage")
            Path root();

            /** Below this much free space the readiness check fails (bytes). */
            @WithDefault("268435456")
            long minFreeBytes();
        }
    }

    interface Manifests {
        /** Largest manifest body accepted (bytes); larger bodies get 413 MANIFEST_INVALID. */
        @WithDefault("4194304")
        int maxSize();
    }

    interface Lists {
        /** Largest page of the catalog and tag lists; also the page size when the client names no {@code n}. */
        @WithDefault("1000")
        int maxPageSize();
    }
}
