package dev.berth.gc.collector.manifest;

import io.vertx.mutiny.sqlclient.SqlConnection;

/**
 * A policy's decision for one repository, made by one statement. Without locks ({@code null}: the first look, and
 * dry runs) any row may be chosen; with locks only the rows this transaction holds, and every other manifest of the
 * repository counts as kept (it may be re-tagged or referenced by a push in progress).
 */
@FunctionalInterface
public interface Decider {

    Decision decide(SqlConnection connection, Long[] lockedTags, Long[] lockedManifests);
}
