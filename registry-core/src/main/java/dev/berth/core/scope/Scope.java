package dev.berth.core.scope;

import dev.berth.core.name.RepositoryName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One scope of the Docker token specification, {@code type[(class)]:name:action[,action…]}: for example
 * {@code repository:team-a/app:pull,push} or {@code registry:catalog:*}. registry-api writes them into its
 * {@code WWW-Authenticate} challenges, token-service parses what clients ask for; both use this one grammar.
 * <ul>
 * <li>The type is split off at the first colon and the actions at the last, so a name may hold colons.</li>
 * <li>A class ({@code repository(plugin)}, sent by Docker for plugins) is accepted and dropped: it is granted
 * like its plain type.</li>
 * <li>A {@code repository} scope must name a valid repository ({@link RepositoryName}); anything else fails with
 * {@link InvalidScopeException} saying which part was wrong.</li>
 * </ul>
 */
public record Scope(String type, String name, Set<String> actions) {
    public static final String REPOSITORY = "repository";
    public static final String REGISTRY = "registry";
    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";
    public static final String ALL = "*";
    /** {@code registry:catalog:*}, what {@code GET /v2/_catalog} needs. */
    public static final Scope CATALOG = new Scope(REGISTRY, "catalog", Set.of(ALL));

    private static final Pattern TYPE = Pattern.compile("[a-z0-9]+(\\([a-z0-9]+\\))?");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    public Scope {
        if (type == null || type.isEmpty() || name == null || name.isEmpty()) {
            throw new InvalidScopeException(InvalidScopeException.Problem.MALFORMED, "a scope needs a type and a name");
        }
        // insertion order kept: a challenge lists the actions as given ("pull,push")
        actions = actions == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(actions));
    }

    /** {@code repository:NAME:ACTIONS} for a repository name (not validated: the challenge echoes the request). */
    public static Scope repository(String name, String... actions) {
        return new Scope(REPOSITORY, name, new LinkedHashSet<>(List.of(actions)));
    }

    /** The scope as written on the wire, actions in the order given. */
    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions);
    }

    /** Several scopes as one {@code scope} value (space separated), as a challenge names them. */
    public static String format(Collection<Scope> scopes) {
        StringBuilder out = new StringBuilder();
        for (Scope scope : scopes) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(scope);
        }
        return out.toString();
    }

    /** Parses every {@code scope} value (each may hold several scopes separated by spaces); merges duplicates. */
    public static List<Scope> parseAll(List<String> values) {
        if (values == null) {
            return List.of();
        }
        Map<String, Scope> merged = new LinkedHashMap<>();
        for (String value : values) {
            if (value == null) {
                continue;
            }
            for (String part : WHITESPACE.split(value.trim())) {
                if (part.isEmpty()) {
                    continue;
                }
                Scope scope = parse(part);
                String key = scope.type() + ":" + scope.name();
                Scope before = merged.get(key);
                if (before != null) {
                    Set<String> actions = new LinkedHashSet<>(before.actions());
                    actions.addAll(scope.actions());
                    scope = new Scope(scope.type(), scope.name(), actions);
                }
                merged.put(key, scope);
            }
        }
        return new ArrayList<>(merged.values());
    }

    /** Parses one scope; fails with {@link InvalidScopeException}. */
    public static Scope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last == first || last == text.length() - 1) {
            throw new InvalidScopeException(InvalidScopeException.Problem.MALFORMED,
                    "invalid scope '" + abbreviate(text) + "': expected type:name:actions");
        }
        String type = text.substring(0, first);
        if (!TYPE.matcher(type).matches()) {
            throw new InvalidScopeException(InvalidScopeException.Problem.MALFORMED,
                    "invalid scope type in '" + abbreviate(text) + "'");
        }
        String baseType = type.contains("(") ? type.substring(0, type.indexOf('(')) : type;
        String name = text.substring(first + 1, last);
        if (REPOSITORY.equals(baseType) && !RepositoryName.isValid(name)) {
            throw new InvalidScopeException(InvalidScopeException.Problem.NAME_INVALID,
                    "invalid repository name in scope '" + abbreviate(text) + "'");
        }
        Set<String> actions = new LinkedHashSet<>();
        for (String action : text.substring(last + 1).split(",")) {
            if (!action.isBlank()) {
                actions.add(action.trim());
            }
        }
        return new Scope(baseType, name, actions);
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }
}
