package dev.berth.gc.storage;

import dev.berth.core.storage.StorageMapping;
import io.smallrye.config.ConfigMapping;

/**
 * {@code registry.storage.*}: registry-api's own storage settings (and environment variables), read by gc-worker so
 * that both open the same store. Documented in docs/configuration.md, "Storage".
 */
@ConfigMapping(prefix = "registry.storage")
public interface StorageConfig extends StorageMapping {
}
