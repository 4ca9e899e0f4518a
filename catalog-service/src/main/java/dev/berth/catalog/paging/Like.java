package dev.berth.catalog.paging;

/** Search text as SQL {@code LIKE} patterns (the default escape character, backslash, escapes {@code % _ \}). */
public final class Like {
    /** Longest search text accepted. */
    public static final int MAX_QUERY = 128;

    private Like() {
    }

    public static String escape(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Matches names containing {@code text} anywhere (served by the trigram indexes). */
    public static String contains(String text) {
        return "%" + escape(text) + "%";
    }

    public static String startsWith(String text) {
        return escape(text) + "%";
    }
}
