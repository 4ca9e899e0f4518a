package dev.berth.registry.outbox;

/**
 * A CDI event fired by {@link OutboxRepository} once a transaction that appended outbox rows has committed (never
 * for one that rolled back), on the thread that saw the commit: the relay's cue to run a round at once instead of
 * at its next poll. Observers must be quick and must not block.
 *
 * @param count how many events the transaction appended with this append
 */
public record EventsCommitted(int count) {
}
