package dev.berth.registry.upload;

import dev.berth.registry.error.RegistryException;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import org.hibernate.LockMode;

/** Upload sessions; writers take the row lock so that one chunk at a time lands on an upload. */
@ApplicationScoped
public class UploadSessionRepository implements PanacheRepositoryBase<UploadSession, UUID> {
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    /**
     * Locks the session row for the rest of the transaction without waiting. The lock dies with the
     * database connection, so a replica killed mid-chunk never blocks the upload's next request.
     * Returns {@code null} when the session does not exist.
     */
    public Uni<UploadSession> lockForWrite(UUID id) {
        // find() with UPGRADE_NOWAIT renders "for update nowait". Not a native select: on the request path
        // those leak (Hibernate 7.2 caches a native select's plan under a key whose result mapping never
        // equals the next call's, so every call adds a plan; a full plan cache then scans thousands of
        // same-hash keys per look-up and evicts the HQL plans). Hot paths use HQL, find() and native
        // statements without results (executeUpdate), whose plans are cached once.
        return getSession()
                .chain(s -> s.find(UploadSession.class, id, LockMode.UPGRADE_NOWAIT))
                .onFailure(UploadSessionRepository::isLockNotAvailable)
                .transform(e -> RegistryException.rangeInvalid(
                        "upload " + id + " is being written by another request; retry once it has finished"));
    }

    /**
     * Deletes the session's row with a query instead of {@code Session.remove}: Hibernate Reactive's entity
     * delete coordinator is shared by concurrent sessions and hands their continuations to each other's
     * event loop (HR000069, seen when Jib finishes several uploads at once). The entity is detached first,
     * so that changes made to it in this transaction are not flushed.
     */
    public Uni<Void> discard(UploadSession session) {
        return getSession().invoke(s -> s.detach(session))
                .chain(() -> delete("id", session.id)).replaceWithVoid();
    }

    private static boolean isLockNotAvailable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PgException pg && LOCK_NOT_AVAILABLE.equals(pg.getSqlState())
                    || c instanceof jakarta.persistence.LockTimeoutException
                    || c instanceof jakarta.persistence.PessimisticLockException
                    || c.getMessage() != null && c.getMessage().contains("(" + LOCK_NOT_AVAILABLE + ")")) {
                return true;
            }
        }
        return false;
    }
}
