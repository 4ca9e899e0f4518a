package dev.berth.gc.collector.orphans;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.MultipartPage;
import dev.berth.core.storage.ObjectPage;
import dev.berth.core.storage.PendingMultipart;
import dev.berth.core.storage.StoredObject;
import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import dev.berth.gc.collector.StorageCalls;
import dev.berth.gc.config.GcConfig;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * {@code orphans}: storage objects nothing in PostgreSQL names (a crash between storing and recording, a copy whose
 * deletion failed, leftovers of uploads), found by a paginated scan of {@code blobs/} and {@code uploads/}, and the
 * S3 multipart uploads of sessions that are gone.
 *
 * <p>Per page ({@code gc.orphans.page-size} objects): the objects old enough are checked with one statement
 * ({@link OrphanRepository#inUse}); those no blob row, pending deletion or live upload session names are deleted
 * (in a dry run only counted). Objects under {@code blobs/} must be older than {@code gc.grace}, those under
 * {@code uploads/} and multipart uploads older than {@code gc.uploads.max-age} (and the grace).
 *
 * <p>Why an object found unreferenced cannot be in use by the time it is deleted (no row lock can guard an object no
 * row names):
 * <ul>
 * <li>Keys of one upload (S3's {@code blobs/<upload>/data}, everyone's {@code uploads/<upload>/...}): registry-api
 * records such a blob key only in the transaction that deletes the upload's session, and never makes a session
 * again for an upload id. The check is one statement (one snapshot), so it sees the upload's session or its blob
 * row; once it sees neither, nothing will name the key again.</li>
 * <li>Content-addressed keys (filesystem {@code blobs/sha256/..}: an upload of a digest whose file is there keeps
 * that file): a blob committed between the listing and the check would be named by its row, but one committed
 * between the check and the deletion would not be seen. The grace period covers it: a commit marks the blob's file
 * as written (modification time now), so it is younger than the grace, and
 * {@link BlobStore#deleteUnchangedSince} deletes only files still older than the grace, checked and deleted in one
 * step with respect to commits. Objects younger than the grace are never deleted.</li>
 * </ul>
 */
@ApplicationScoped
public class OrphansCollector implements Collector {
    public static final String NAME = "orphans";
    private static final Logger LOG = Logger.getLogger(OrphansCollector.class);

    private final Pool pool;
    private final BlobStore store;
    private final OrphanRepository repository;
    private final GcConfig config;

    public OrphansCollector(Pool pool, BlobStore store, OrphanRepository repository, GcConfig config) {
        this.pool = pool;
        this.store = store;
        this.repository = repository;
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Mode mode() {
        return Mode.SINGLE;
    }

    @Override
    public void collect(RunScope scope) {
        Instant now = Instant.now();
        Instant blobCutoff = now.minus(config.grace());
        Duration uploadAge = config.uploads().maxAge().compareTo(config.grace()) > 0 ? config.uploads().maxAge()
                : config.grace();
        Instant uploadCutoff = now.minus(uploadAge);
        int pageSize = Math.max(1, config.orphans().pageSize());
        Totals totals = new Totals();
        scan(scope, "blobs/", blobCutoff, pageSize, totals);
        scan(scope, "uploads/", uploadCutoff, pageSize, totals);
        abortMultiparts(scope, "blobs/", uploadCutoff, pageSize, totals);
        scope.progress(NAME, totals.describe(scope.dryRun()) + "; done");
        LOG.infof("Orphan scan of %s storage%s: %s", store.type(), scope.dryRun() ? " (dry run)" : "",
                totals.describe(scope.dryRun()));
    }

    private void scan(RunScope scope, String prefix, Instant cutoff, int pageSize, Totals totals) {
        String after = null;
        while (!scope.stopping()) {
            ObjectPage page = StorageCalls.await(store.list(prefix, after, pageSize));
            List<StoredObject> old = page.objects().stream().filter(o -> o.lastModified().isBefore(cutoff)).toList();
            List<String> keys = old.stream().map(StoredObject::key).toList();
            List<String> uploads = keys.stream().map(k -> store.uploadOwning(k).orElse("")).toList();
            Set<String> used = repository.inUse(pool, keys, uploads);
            long objects = 0;
            long bytes = 0;
            for (StoredObject o : old) {
                if (used.contains(o.key()) || scope.stopping()) {
                    continue;
                }
                if (scope.dryRun()) {
                    objects++;
                    bytes += o.size();
                    continue;
                }
                try {
                    if (StorageCalls.await(store.deleteUnchangedSince(o.key(), cutoff))) {
                        objects++;
                        bytes += o.size();
                        LOG.debugf("Orphan %s (%d bytes, written %s) deleted", o.key(), o.size(), o.lastModified());
                    }
                } catch (RuntimeException e) {
                    LOG.warnf("Orphan %s could not be deleted: %s", o.key(), e.getMessage());
                    scope.error(NAME, o.key() + ": " + e.getMessage());
                }
            }
            totals.checked += page.objects().size();
            totals.objects += objects;
            totals.bytes += bytes;
            if (objects > 0) {
                scope.report(NAME, objects, bytes);
            }
            after = page.lastKey();
            scope.progress(NAME, totals.describe(scope.dryRun()) + "; at " + (after == null ? prefix : after));
            if (!page.truncated() || after == null) {
                return;
            }
        }
    }

    /** S3: multipart uploads (of {@code blobs/<upload>/data}) whose session is gone; none on a filesystem. */
    private void abortMultiparts(RunScope scope, String prefix, Instant cutoff, int pageSize, Totals totals) {
        String after = null;
        while (!scope.stopping()) {
            MultipartPage page = StorageCalls.await(store.multipartUploads(prefix, after, pageSize));
            List<PendingMultipart> old = page.uploads().stream()
                    .filter(u -> u.initiated() != null && u.initiated().isBefore(cutoff)).toList();
            List<String> owners = old.stream().map(u -> store.uploadOwning(u.key()).orElse("")).toList();
            Set<String> live = repository.liveUploads(pool, owners);
            long aborted = 0;
            for (int i = 0; i < old.size(); i++) {
                PendingMultipart u = old.get(i);
                if (live.contains(owners.get(i))) {
                    continue;
                }
                if (scope.dryRun()) {
                    aborted++;
                    continue;
                }
                try {
                    StorageCalls.await(store.abortMultipart(u.key(), u.uploadId()));
                    aborted++;
                } catch (RuntimeException e) {
                    LOG.warnf("Multipart upload %s of %s could not be aborted: %s", u.uploadId(), u.key(), e.getMessage());
                    scope.error(NAME, "multipart upload " + u.uploadId() + " of " + u.key() + ": " + e.getMessage());
                }
            }
            if (aborted > 0) {
                // the bytes of their parts are not listed; a multipart upload counts as an object
                scope.report(NAME, aborted, 0);
                totals.objects += aborted;
                totals.multiparts += aborted;
            }
            if (page.next() == null) {
                return;
            }
            after = page.next();
        }
    }

    private static final class Totals {
        long checked;
        long objects;
        long bytes;
        long multiparts;

        String describe(boolean dryRun) {
            return checked + " objects checked, " + (objects - multiparts) + " orphans " + (dryRun ? "found" : "deleted")
                    + " (" + bytes + " bytes)" + (multiparts > 0 ? ", " + multiparts + " multipart uploads "
                            + (dryRun ? "to abort" : "aborted") : "");
        }
    }
}
