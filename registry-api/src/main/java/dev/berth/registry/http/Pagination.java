package dev.berth.registry.http;

import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The spec's {@code n}/{@code last} pagination: a page is fetched one longer to know if more follow. */
@ApplicationScoped
public class Pagination {
    private final RegistryConfig config;

    public Pagination(RegistryConfig config) {
        this.config = config;
    }

    public record Page(int size, String last, boolean explicit) {
    }

    public Page parse(HttpServerRequest request) {
        int max = config.lists().maxPageSize();
        String n = request.getParam("n");
        String last = request.getParam("last");
        if (n == null || n.isEmpty()) {
            return new Page(max, last, false);
        }
        int size;
        try {
            size = Integer.parseInt(n);
        } catch (NumberFormatException e) {
            throw new RegistryException(OciError.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer: " + n);
        }
        if (size < 0) {
            throw new RegistryException(OciError.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer: " + n);
        }
        return new Page(Math.min(size, max), last, true);
    }

    public List<String> trim(List<String> fetched, Page page) {
        return fetched.size() > page.size() ? fetched.subList(0, page.size()) : fetched;
    }

    /** Adds {@code Link: <…?n=N&last=X>; rel="next"} when the fetched list had more than a page. */
    public void link(HttpServerResponse response, String path, List<String> fetched, Page page) {
        if (fetched.size() > page.size() && page.size() > 0) {
            String lastOfPage = fetched.get(page.size() - 1);
            response.putHeader("Link", "<" + path + "?n=" + page.size() + "&last="
                    + URLEncoder.encode(lastOfPage, StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
    }
}
