package dev.berth.core.storage;

import java.util.List;

/**
 * One page of a storage listing ({@link BlobStore#list}): objects in ascending lexical order of their keys.
 *
 * @param objects   at most the requested number of objects
 * @param truncated whether more objects may follow: list again after {@link #lastKey()}
 */
public record ObjectPage(List<StoredObject> objects, boolean truncated) {

    public ObjectPage {
        objects = List.copyOf(objects);
    }

    /** The key to continue after, or {@code null} for an empty page. */
    public String lastKey() {
        return objects.isEmpty() ? null : objects.get(objects.size() - 1).key();
    }
}
