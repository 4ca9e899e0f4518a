package dev.berth.registry.route;

import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Decides whether a matched request may go on (implemented by {@code auth.RequestAuthorizer}); declared here so
 * that the router depends on no policy and the policy depends on the route table, not the other way round.
 */
public interface RequestGuard {
    /** Whether requests are checked at all. */
    boolean enabled();

    /** Completes when the request may go on; fails (for example with a 401 or 403) otherwise. */
    Uni<Void> check(RoutingContext ctx, Route route);
}
