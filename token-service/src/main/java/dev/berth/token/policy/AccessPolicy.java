package dev.berth.token.policy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.berth.token.config.TokenConfig;
import dev.berth.token.identity.Identity;
import dev.berth.token.scope.Access;
import dev.berth.core.scope.Scope;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Decides what a caller may do, from its realm roles, groups and user name plus the policy file, and
 * grants the intersection of what was asked and what is allowed. A partial grant is not an error; a scope
 * nothing of which is allowed is left out of the token.
 */
@ApplicationScoped
public class AccessPolicy {
    private static final Logger LOG = Logger.getLogger(AccessPolicy.class);
    public static final List<String> ALL = List.of("pull", "push", "delete");

    private final PolicyDocument document;
    private final List<CompiledRule> rules = new ArrayList<>();
    private final List<Pattern> publicPatterns = new ArrayList<>();
    /** The public namespaces as globs ({@code public} becomes {@code public/**}), for {@link #pullable}. */
    private final List<String> publicGlobs = new ArrayList<>();

    @jakarta.inject.Inject
    public AccessPolicy(TokenConfig config) {
        this(load(config.policy().file().orElse(null)));
    }

    public AccessPolicy(PolicyDocument document) {
        this.document = document;
        for (String pattern : document.publicRepositories) {
            // a bare namespace ("public") means everything under it
            String glob = pattern.contains("/") || pattern.contains("*") ? pattern : pattern + "/**";
            publicGlobs.add(glob);
            publicPatterns.add(glob(glob));
        }
        for (PolicyDocument.Rule rule : document.rules) {
            List<Pattern> patterns = rule.repositories.stream().map(AccessPolicy::glob).toList();
            Set<String> actions = new LinkedHashSet<>();
            for (String action : rule.actions) {
                if (action.equals("*")) {
                    actions.addAll(ALL);
                } else if (ALL.contains(action)) {
                    actions.add(action);
                } else {
                    throw new IllegalArgumentException("policy: unknown action '" + action + "' (pull, push, delete or *)");
                }
            }
            rules.add(new CompiledRule(rule, patterns, actions));
        }
    }

    public static PolicyDocument load(Path file) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            if (file == null) {
                try (InputStream in = AccessPolicy.class.getResourceAsStream("/default-policy.yaml")) {
                    return yaml.readValue(in, PolicyDocument.class);
                }
            }
            PolicyDocument doc = yaml.readValue(Files.readAllBytes(file), PolicyDocument.class);
            LOG.infof("access policy read from %s", file);
            return doc == null ? new PolicyDocument() : doc;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the policy file " + file + ": " + e.getMessage(), e);
        }
    }

    public PolicyDocument document() {
        return document;
    }

    /** The access to put in a token: for each requested scope, the allowed part of the requested actions. */
    public List<Access> grant(Identity identity, List<Scope> requested) {
        List<Access> granted = new ArrayList<>();
        for (Scope scope : requested) {
            List<String> actions = switch (scope.type()) {
                case "repository" -> intersect(scope.actions(), allowed(identity, scope.name()));
                case "registry" -> registry(identity, scope.name()) && scope.actions().contains("*")
                        ? List.of("*") : List.of();
                default -> List.of();
            };
            if (!actions.isEmpty()) {
                granted.add(new Access(scope.type(), scope.name(), actions));
            }
        }
        return granted;
    }

    /**
     * What goes into a token: the granted access, and when the caller asked for {@code registry:catalog} but is
     * not granted it, the repository globs it may pull (the {@code pullable} claim, which catalog-service filters
     * its answers by); {@code pullable} is null when the catalog was not asked for or was granted.
     */
    public Decision decide(Identity identity, List<Scope> requested) {
        List<Access> access = grant(identity, requested);
        boolean askedCatalog = requested.stream()
                .anyMatch(s -> Scope.REGISTRY.equals(s.type()) && "catalog".equals(s.name()));
        boolean grantedCatalog = access.stream()
                .anyMatch(a -> Scope.REGISTRY.equals(a.type()) && "catalog".equals(a.name()));
        return new Decision(access, askedCatalog && !grantedCatalog ? pullable(identity) : null);
    }

    /** The access entries of a token and its {@code pullable} globs (null: no such claim). */
    public record Decision(List<Access> access, List<String> pullable) {
    }

    /**
     * The repositories the caller may pull, as globs in the policy's syntax ({@code *} within one path segment,
     * {@code **} across segments), sorted and without duplicates. Every repository {@link #allowed} gives
     * {@code pull} matches one of them and no other does, except for names holding a {@code *} (a user or group
     * namespace with a literal star cannot be written as a glob and is left out: narrower, never wider). An
     * admin gets {@code **}.
     */
    public List<String> pullable(Identity identity) {
        Set<String> globs = new TreeSet<>(publicGlobs);
        if (identity.anonymous()) {
            for (CompiledRule rule : rules) {
                if (rule.rule.anyone && rule.actions.contains("pull")) {
                    globs.addAll(rule.rule.repositories);
                }
            }
            return List.copyOf(globs);
        }
        if (isAdmin(identity)) {
            return List.of("**");
        }
        String user = identity.username().toLowerCase();
        if (document.userNamespaces && !user.isEmpty() && literal(user)) {
            globs.add(user + "/**");
        }
        for (String namespace : groupNamespaces(identity)) {
            if (literal(namespace)) {
                globs.add(namespace + "/**");
            }
        }
        for (CompiledRule rule : rules) {
            if (rule.appliesTo(identity) && rule.actions.contains("pull")) {
                globs.addAll(rule.rule.repositories);
            }
        }
        return List.copyOf(globs);
    }

    private static boolean literal(String name) {
        return name.indexOf('*') < 0;
    }

    /** The namespaces the caller's groups grant pull and push in ({@code /registry/team-a[/delete]} → team-a). */
    private List<String> groupNamespaces(Identity identity) {
        List<String> namespaces = new ArrayList<>();
        String prefix = document.groupPrefix;
        if (prefix == null || prefix.isEmpty()) {
            return namespaces;
        }
        for (String group : identity.groups()) {
            if (!group.startsWith(prefix)) {
                continue;
            }
            String path = group.substring(prefix.length());
            String ns = deleter(path) ? path.substring(0, path.length() - deleteSuffix().length()) : path;
            if (!ns.isEmpty()) {
                namespaces.add(ns);
            }
        }
        return namespaces;
    }

    private String deleteSuffix() {
        return "/" + document.deleteSubgroup;
    }

    private boolean deleter(String groupPath) {
        return document.deleteSubgroup != null && !document.deleteSubgroup.isEmpty() && groupPath.endsWith(deleteSuffix());
    }

    private static List<String> intersect(Set<String> requested, Set<String> allowed) {
        if (requested.contains("*") && allowed.containsAll(ALL)) {
            return List.of("*");
        }
        List<String> result = new ArrayList<>();
        for (String action : requested.contains("*") ? ALL : requested) {
            if (allowed.contains(action) && !result.contains(action)) {
                result.add(action);
            }
        }
        return result;
    }

    /** What the caller may do in one repository. */
    public Set<String> allowed(Identity identity, String repository) {
        Set<String> actions = new LinkedHashSet<>();
        if (isPublic(repository)) {
            actions.add("pull");
        }
        if (identity.anonymous()) {
            for (CompiledRule rule : rules) {
                if (rule.rule.anyone && rule.matches(repository) && rule.actions.contains("pull")) {
                    actions.add("pull");
                }
            }
            return actions;
        }
        if (isAdmin(identity)) {
            actions.addAll(ALL);
            return actions;
        }
        String namespace = repository.contains("/") ? repository.substring(0, repository.indexOf('/')) : null;
        if (document.userNamespaces && namespace != null && namespace.equals(identity.username().toLowerCase())) {
            actions.addAll(ALL);
        }
        String prefix = document.groupPrefix;
        for (String group : identity.groups()) {
            if (prefix == null || prefix.isEmpty() || !group.startsWith(prefix)) {
                continue;
            }
            String path = group.substring(prefix.length());
            boolean deleter = deleter(path);
            String ns = deleter ? path.substring(0, path.length() - deleteSuffix().length()) : path;
            if (!ns.isEmpty() && repository.startsWith(ns + "/")) {
                actions.add("pull");
                actions.add("push");
                if (deleter) {
                    actions.add("delete");
                }
            }
        }
        for (CompiledRule rule : rules) {
            if (rule.appliesTo(identity) && rule.matches(repository)) {
                actions.addAll(rule.actions);
            }
        }
        return actions;
    }

    /** Whether the caller may have {@code registry:<name>:*}: the catalog, or gc-worker's API ({@link #gc}). */
    private boolean registry(Identity identity, String name) {
        return switch (name) {
            case "catalog" -> catalog(identity);
            case "gc" -> gc(identity);
            default -> false;
        };
    }

    /**
     * Whether the caller may use gc-worker's API ({@code registry:gc:*}: start garbage collection runs, which
     * delete): holders of the admin role only (users and service accounts alike), never by a policy rule.
     */
    public boolean gc(Identity identity) {
        return !identity.anonymous() && isAdmin(identity);
    }

    public boolean catalog(Identity identity) {
        if (identity.anonymous()) {
            return false;
        }
        if (isAdmin(identity)) {
            return true;
        }
        return rules.stream().anyMatch(r -> r.rule.catalog && r.appliesTo(identity));
    }

    private boolean isAdmin(Identity identity) {
        return document.adminRole != null && identity.roles().contains(document.adminRole);
    }

    private boolean isPublic(String repository) {
        return publicPatterns.stream().anyMatch(p -> p.matcher(repository).matches());
    }

    /** {@code *} matches within one path segment, {@code **} across segments; everything else literally. */
    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    regex.append(".*");
                    i++;
                } else {
                    regex.append("[^/]*");
                }
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    private record CompiledRule(PolicyDocument.Rule rule, List<Pattern> patterns, Set<String> actions) {
        boolean matches(String repository) {
            return patterns.stream().anyMatch(p -> p.matcher(repository).matches());
        }

        boolean appliesTo(Identity identity) {
            if (rule.anyone || rule.authenticated && !identity.anonymous()) {
                return true;
            }
            return rule.users.contains(identity.username())
                    || rule.groups.stream().anyMatch(identity.groups()::contains)
                    || rule.roles.stream().anyMatch(identity.roles()::contains);
        }
    }
}
