package dev.berth.catalog.search;

import dev.berth.catalog.repository.RepositorySummary;
import dev.berth.catalog.tag.TagQueries.TagHit;
import java.util.List;

/** Repositories whose name, and tags whose name, contain the search text (prefix matches first). */
public record SearchResult(List<RepositorySummary> repositories, List<TagHit> tags) {
}
