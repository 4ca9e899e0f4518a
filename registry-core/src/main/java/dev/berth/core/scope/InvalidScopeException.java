package dev.berth.core.scope;

/** A scope that does not follow the grammar ({@link Problem#MALFORMED}) or names an invalid repository. */
public class InvalidScopeException extends IllegalArgumentException {
    public enum Problem {
        /** Not {@code type:name:actions}, or a type or action outside the grammar. */
        MALFORMED,
        /** A {@code repository} scope whose name is not a valid repository name. */
        NAME_INVALID
    }

    private final Problem problem;

    public InvalidScopeException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
