package dev.berth.gc.run;

/** Why a run started (the run's {@code trigger}, a tag of the {@code berth.gc.runs} metric). */
public final class Trigger {
    public static final String API = "api";
    /** The incremental schedule (gc.schedule.every). */
    public static final String SCHEDULE = "schedule";
    /** The full schedule (gc.schedule.full-every). */
    public static final String FULL_SCHEDULE = "full-schedule";
    /** Deletions announced on the event bus, a grace period later. */
    public static final String EVENT = "event";

    private Trigger() {
    }
}
