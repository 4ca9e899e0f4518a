package dev.berth.gc.collector.manifest;

import java.util.List;

/** What a policy deletes in one repository: tag rows and manifest rows, by id. */
public record Decision(List<Long> tags, List<Long> manifests) {

    public Decision {
        tags = List.copyOf(tags);
        manifests = List.copyOf(manifests);
    }

    public boolean isEmpty() {
        return tags.isEmpty() && manifests.isEmpty();
    }
}
