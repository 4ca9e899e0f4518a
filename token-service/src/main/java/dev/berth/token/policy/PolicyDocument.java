package dev.berth.token.policy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * The policy file (YAML). See {@code default-policy.yaml} and docs/authentication.md, "Access policy".
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public class PolicyDocument {

    /** Realm role whose holders may do everything, including delete and the catalog. */
    @JsonProperty("admin-role")
    public String adminRole = "registry-admin";

    /** Every signed-in user owns the namespace of their user name (pull, push, delete). */
    @JsonProperty("user-namespaces")
    public boolean userNamespaces = true;

    /** Members of {@code <group-prefix><namespace>} may pull and push in {@code <namespace>/...}. */
    @JsonProperty("group-prefix")
    public String groupPrefix = "/registry/";

    /** Members of the sub-group {@code <group-prefix><namespace>/<delete-subgroup>} may also delete there. */
    @JsonProperty("delete-subgroup")
    public String deleteSubgroup = "delete";

    /** Namespaces (or repository patterns) anyone may pull from, without signing in. */
    @JsonProperty("public")
    public List<String> publicRepositories = new ArrayList<>();

    /** Further grants. */
    public List<Rule> rules = new ArrayList<>();

    /** A grant of {@code actions} on the repositories matching {@code repositories} to the callers it names. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public static class Rule {
        /** Repository patterns: {@code *} matches within one path segment, {@code **} across segments. */
        public List<String> repositories = new ArrayList<>();
        public List<String> users = new ArrayList<>();
        public List<String> groups = new ArrayList<>();
        public List<String> roles = new ArrayList<>();
        /** Any signed-in caller. */
        public boolean authenticated;
        /** Anyone, signed in or not (only {@code pull} is ever granted to anonymous callers). */
        public boolean anyone;
        /** {@code pull}, {@code push}, {@code delete}, or {@code *} for all three. */
        public List<String> actions = new ArrayList<>();
        /** Also grants {@code registry:catalog:*}. */
        public boolean catalog;
    }
}
