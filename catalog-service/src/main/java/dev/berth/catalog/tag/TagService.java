package dev.berth.catalog.tag;

import dev.berth.catalog.error.CatalogException;
import dev.berth.catalog.paging.Page;
import dev.berth.catalog.paging.PageRequest;
import dev.berth.catalog.repository.RepositoryService;
import dev.berth.catalog.visibility.Caller;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class TagService {
    private final TagQueries queries;
    private final RepositoryService repositories;

    public TagService(TagQueries queries, RepositoryService repositories) {
        this.queries = queries;
        this.repositories = repositories;
    }

    /** The tags of a repository the caller may see (404 otherwise, as for an unknown one). */
    public Uni<Page<TagSummary>> list(Caller caller, String repository, Integer page, Integer size, String sort) {
        PageRequest request = PageRequest.of(page, size, sort, "name", TagQueries.SORTS);
        return repositories.get(caller, repository).flatMap(found -> Uni.combine().all()
                .unis(queries.page(repository, request), queries.count(repository)).asTuple()
                .map(t -> new Page<>(t.getItem1(), request.page(), request.size(), t.getItem2())));
    }

    public Uni<TagDetail> get(Caller caller, String repository, String tag) {
        return repositories.get(caller, repository).flatMap(found -> queries.detail(repository, tag)).map(detail -> {
            if (detail == null) {
                throw CatalogException.tagUnknown(repository, tag);
            }
            return detail;
        });
    }
}
