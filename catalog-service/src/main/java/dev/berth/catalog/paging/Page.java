package dev.berth.catalog.paging;

import java.util.List;

/** One page of a list: its items, the page number (1-based), the page size asked for and the total count. */
public record Page<T>(List<T> items, int page, int size, long total) {
}
