package dev.berth.catalog.error;

import dev.berth.core.sql.DatabaseUnavailable;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure of the API leaves as an OCI-style error body with the right status. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    public record ErrorBody(List<Error> errors) {
        public record Error(String code, String message) {
        }
    }

    static Response body(int status, String code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(List.of(new ErrorBody.Error(code, message)))).build();
    }

    @ServerExceptionMapper
    public Response catalog(CatalogException e) {
        Response.ResponseBuilder response = Response.status(e.status()).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(List.of(new ErrorBody.Error(e.code(), e.getMessage()))));
        for (Map.Entry<String, String> header : e.headers().entrySet()) {
            response.header(header.getKey(), header.getValue());
        }
        return response.build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String code = switch (status) {
            case 404 -> "NOT_FOUND";
            case 405 -> "UNSUPPORTED";
            default -> status >= 500 ? "UNKNOWN" : "UNSUPPORTED";
        };
        return body(status, code, e.getMessage());
    }

    @ServerExceptionMapper
    // Exception, not RuntimeException: a connection refused by PostgreSQL arrives as a checked ConnectException
    public Response unexpected(Exception e) {
        if (DatabaseUnavailable.is(e)) {
            // PostgreSQL is away (the pool reconnects by itself): the client may retry; one line, no stack trace
            LOG.warnf("request failed: database unavailable (%s)", DatabaseUnavailable.describe(e));
            return body(503, "UNAVAILABLE", "the database is unavailable; retry later");
        }
        LOG.errorf(e, "request failed");
        return body(500, "UNKNOWN", "internal error");
    }
}
