package dev.berth.catalog.paging;

import dev.berth.catalog.error.CatalogException;
import java.util.Map;

/**
 * A validated page request: {@code page} is 1-based, {@code size} defaults to {@value #DEFAULT_SIZE} and may not
 * exceed {@value #MAX_SIZE} (a larger one is refused, never clamped silently), {@code sort} is one of the keys the
 * endpoint offers, translated to an SQL {@code order by} that always ends in a unique key (stable pages).
 */
public record PageRequest(int page, int size, String orderBy) {
    public static final int DEFAULT_SIZE = 50;
    public static final int MAX_SIZE = 500;
    /** Deeper pages than this are refused: an offset costs the database a scan of everything before it. */
    public static final int MAX_PAGE = 100_000;

    public static PageRequest of(Integer page, Integer size, String sort, String defaultSort, Map<String, String> sorts) {
        int p = page == null ? 1 : page;
        int s = size == null ? DEFAULT_SIZE : size;
        if (p < 1 || p > MAX_PAGE) {
            throw CatalogException.badParameter("page must be between 1 and " + MAX_PAGE + ", was " + p);
        }
        if (s < 1 || s > MAX_SIZE) {
            throw CatalogException.badParameter("size must be between 1 and " + MAX_SIZE + ", was " + s);
        }
        String key = sort == null || sort.isBlank() ? defaultSort : sort.trim();
        String orderBy = sorts.get(key);
        if (orderBy == null) {
            throw CatalogException.unsupported("sort must be one of " + String.join(", ", sorts.keySet()) + ", was " + key);
        }
        return new PageRequest(p, s, orderBy);
    }

    public long offset() {
        return (long) (page - 1) * size;
    }
}
