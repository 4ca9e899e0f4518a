package dev.berth.registry.support;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Test-only route: a {@code /v2} request carrying {@value #HEADER} reaches the registry's handlers only once its
 * client's connection has closed, as a request does in production when it waits behind a slow token check or
 * database connection while its client gives up. Every other request passes straight on.
 */
@ApplicationScoped
public class HandledAfterClose {
    public static final String HEADER = "X-Test-Handle-After-Close";

    void register(@Observes Router router) {
        // before the /v2 routes of V2Router (registered with the default order)
        router.route("/v2/*").order(-1000).handler(ctx -> {
            if (ctx.request().getHeader(HEADER) == null) {
                ctx.next();
                return;
            }
            ctx.request().pause();
            Context context = Vertx.currentContext();
            // on the next turn of the event loop: after Vert.x has finished telling the request of the close
            ctx.response().closeHandler(v -> context.runOnContext(x -> ctx.next()));
        });
    }
}
