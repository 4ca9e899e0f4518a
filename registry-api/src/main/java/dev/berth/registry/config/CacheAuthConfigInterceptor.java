package dev.berth.registry.config;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;

/**
 * The Hot Rod client authenticates when {@code registry.cache.infinispan.username} is set, and not
 * otherwise: supplies {@code quarkus.infinispan-client.use-auth} unless it is configured explicitly. (The
 * extension defaults it to true, the client then refuses to start without a user, and application.properties
 * cannot express the condition.)
 */
public class CacheAuthConfigInterceptor implements ConfigSourceInterceptor {
    static final String USE_AUTH = "quarkus.infinispan-client.use-auth";
    static final String USERNAME = "registry.cache.infinispan.username";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        // the extension's own default (true) comes from the mapping's default values, with the lowest ordinal
        boolean configured = value != null && value.getConfigSourceOrdinal() > Integer.MIN_VALUE;
        if (configured || !USE_AUTH.equals(name)) {
            return value;
        }
        ConfigValue username = context.proceed(USERNAME);
        boolean authenticate = username != null && username.getValue() != null && !username.getValue().isBlank();
        return ConfigValue.builder().withName(name).withValue(Boolean.toString(authenticate))
                .withConfigSourceName("registry.cache.infinispan.username (set or not)").build();
    }
}
