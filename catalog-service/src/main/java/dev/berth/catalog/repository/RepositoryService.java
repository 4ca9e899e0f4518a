package dev.berth.catalog.repository;

import dev.berth.catalog.error.CatalogException;
import dev.berth.catalog.paging.Like;
import dev.berth.catalog.paging.Page;
import dev.berth.catalog.paging.PageRequest;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class RepositoryService {
    private final RepositoryQueries queries;

    public RepositoryService(RepositoryQueries queries) {
        this.queries = queries;
    }

    public Uni<Page<RepositorySummary>> list(Caller caller, String q, Integer page, Integer size, String sort) {
        PageRequest request = PageRequest.of(page, size, sort, "name", RepositoryQueries.SORTS);
        String query = normalise(q);
        return Uni.combine().all().unis(queries.page(caller, query, request), queries.count(caller, query))
                .asTuple().map(t -> new Page<>(t.getItem1(), request.page(), request.size(), t.getItem2()));
    }

    public Uni<RepositorySummary> get(Caller caller, String name) {
        return queries.find(caller, name).map(found -> {
            if (found == null) {
                // not visible and absent look the same: existence is not disclosed
                throw CatalogException.nameUnknown(name);
            }
            return found;
        });
    }

    /** Blank means no filter; longer than {@link Like#MAX_QUERY} is refused. */
    public static String normalise(String q) {
        if (q == null || q.isBlank()) {
            return null;
        }
        String trimmed = q.trim();
        if (trimmed.length() > Like.MAX_QUERY) {
            throw CatalogException.unsupported("q is longer than " + Like.MAX_QUERY + " characters");
        }
        return trimmed;
    }
}
