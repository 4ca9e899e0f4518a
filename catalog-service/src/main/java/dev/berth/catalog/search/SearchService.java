package dev.berth.catalog.search;

import dev.berth.catalog.error.CatalogException;
import dev.berth.catalog.repository.RepositoryQueries;
import dev.berth.catalog.repository.RepositoryService;
import dev.berth.catalog.tag.TagQueries;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class SearchService {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;

    private final RepositoryQueries repositories;
    private final TagQueries tags;

    public SearchService(RepositoryQueries repositories, TagQueries tags) {
        this.repositories = repositories;
        this.tags = tags;
    }

    public Uni<SearchResult> search(Caller caller, String q, Integer limit) {
        String text = RepositoryService.normalise(q);
        if (text == null) {
            throw CatalogException.unsupported("q is required");
        }
        int n = limit == null ? DEFAULT_LIMIT : limit;
        if (n < 1 || n > MAX_LIMIT) {
            throw CatalogException.badParameter("limit must be between 1 and " + MAX_LIMIT + ", was " + n);
        }
        return Uni.combine().all().unis(repositories.search(caller, text, n), tags.search(caller, text, n)).asTuple()
                .map(t -> new SearchResult(t.getItem1(), t.getItem2()));
    }
}
