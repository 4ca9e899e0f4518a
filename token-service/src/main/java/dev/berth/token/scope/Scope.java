package dev.berth.token.scope;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A requested scope, {@code type[(class)]:name:action[,action]}, for example {@code repository:team-a/app:pull,push}
 * or {@code registry:catalog:*}. The name may itself contain colons (a port in a name is not valid, but
 * the format allows it), so the type is split off at the first colon and the actions at the last.
 */
public record Scope(String type, String name, Set<String> actions) {

    private static final Pattern TYPE = Pattern.compile("[a-z0-9]+(\\([a-z0-9]+\\))?");

    /** Parses every {@code scope} value (each may hold several scopes separated by spaces); merges duplicates. */
    public static List<Scope> parseAll(List<String> values) {
        Map<String, Scope> merged = new LinkedHashMap<>();
        if (values == null) {
            return List.of();
        }
        for (String value : values) {
            if (value == null) {
                continue;
            }
            for (String part : value.trim().split("\\s+")) {
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

    public static Scope parse(String text) {
        int first = text.indexOf(':');
        int last = text.lastIndexOf(':');
        if (first <= 0 || last == first || last == text.length() - 1) {
            throw new IllegalArgumentException("invalid scope '" + text + "': expected type:name:actions");
        }
        String type = text.substring(0, first);
        if (!TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("invalid scope type in '" + text + "'");
        }
        // "repository(plugin)" is a repository with a class; it is granted like a repository
        String baseType = type.contains("(") ? type.substring(0, type.indexOf('(')) : type;
        String name = text.substring(first + 1, last);
        Set<String> actions = new LinkedHashSet<>();
        for (String action : text.substring(last + 1).split(",")) {
            if (!action.isBlank()) {
                actions.add(action.trim());
            }
        }
        return new Scope(baseType, name, actions);
    }
}
