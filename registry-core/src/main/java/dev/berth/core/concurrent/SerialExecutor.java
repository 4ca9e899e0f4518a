package dev.berth.core.concurrent;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs its tasks one at a time, in the order they were submitted, on a shared pool: one stream's work
 * (hashing a body, writing it to a file) keeps its order without a thread of its own, and tasks that
 * queue up while one runs are drained by the same pool task, without a hand-off per task.
 */
public final class SerialExecutor implements Executor {
    private final Executor pool;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    public SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (draining.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void drain() {
        do {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // a task reports its own failures; one that throws must not stop the ones behind it
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, e);
                }
            }
            draining.set(false);
            // a task added after the last poll but before the flag dropped would otherwise wait forever
        } while (!tasks.isEmpty() && draining.compareAndSet(false, true));
    }
}
