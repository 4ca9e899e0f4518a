package dev.berth.registry.cache;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

/**
 * Drops the Hot Rod client's "ISPN004007: Exception encountered. Retry n out of m" ERRORs: while Infinispan
 * is away every probe of the manifest cache would log one. {@link InfinispanCacheStore} logs the outage
 * once (WARN), with the cause, and its recovery. Console filter {@value #NAME} (application.properties).
 */
@LoggingFilter(name = HotRodRetryLogFilter.NAME)
public final class HotRodRetryLogFilter implements Filter {
    public static final String NAME = "berth-hotrod-retries";

    @Override
    public boolean isLoggable(LogRecord record) {
        String message = record.getMessage();
        return message == null || !message.startsWith("ISPN004007")
                || !"org.infinispan.HOTROD".equals(record.getLoggerName());
    }
}
