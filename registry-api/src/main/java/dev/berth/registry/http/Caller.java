package dev.berth.registry.http;

import io.vertx.ext.web.RoutingContext;

/**
 * Who makes a request, as the request guard established it: the {@code sub} of the verified token, kept on the
 * request's {@link RoutingContext} (not in a thread local: a request hops threads) and handed by resources to the
 * services that record it as the actor of their events. Null when authentication is off.
 */
public final class Caller {
    private static final String KEY = "berth.caller.subject";

    private Caller() {
    }

    /** Records the authenticated subject of the request. */
    public static void identify(RoutingContext ctx, String subject) {
        ctx.put(KEY, subject);
    }

    /** The authenticated subject of the request, or null (authentication off). */
    public static String subject(RoutingContext ctx) {
        return ctx.get(KEY);
    }
}
