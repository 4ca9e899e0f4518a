package dev.berth.gc.collector;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Awaits storage calls ({@link dev.berth.core.storage.BlobStore}'s futures) on a collector's own thread. */
public final class StorageCalls {
    /** No single storage call of a collector should take longer. */
    public static final Duration TIMEOUT = Duration.ofMinutes(5);

    private StorageCalls() {
    }

    /** The result of {@code call}; its failure is thrown as it is (a RuntimeException) or wrapped. */
    public static <T> T await(Future<T> call) {
        try {
            return call.toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("storage did not answer within " + TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for storage", e);
        }
    }
}
