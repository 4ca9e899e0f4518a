package dev.berth.token.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.token.identity.Identity;
import dev.berth.token.scope.Access;
import dev.berth.core.scope.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessPolicyTest {

    private static Identity user(String name, Set<String> roles, Set<String> groups) {
        return new Identity(name, Identity.Kind.KEYCLOAK_USER, roles, groups);
    }

    @Test
    void defaultPolicy() {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        Identity alice = user("alice", Set.of(), Set.of("/registry/team-a"));
        assertThat(policy.allowed(alice, "team-a/app")).containsExactlyInAnyOrder("pull", "push");
        assertThat(policy.allowed(alice, "team-ab/app")).isEmpty();
        assertThat(policy.allowed(alice, "alice/app")).containsExactlyInAnyOrder("pull", "push", "delete");
        assertThat(policy.allowed(Identity.ANONYMOUS, "public/x")).containsExactly("pull");
        assertThat(policy.allowed(Identity.ANONYMOUS, "publicity/x")).isEmpty();
        assertThat(policy.catalog(alice)).isFalse();
        assertThat(policy.catalog(user("ada", Set.of("registry-admin"), Set.of()))).isTrue();
    }

    @Test
    void grantIsTheIntersectionAndUnknownTypesAreDropped() {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        Identity alice = user("alice", Set.of(), Set.of("/registry/team-a"));
        List<Access> granted = policy.grant(alice, Scope.parseAll(List.of(
                "repository:team-a/app:pull,push,delete repository:team-a/app:pull", "repository(plugin):team-a/p:pull",
                "weird:thing:pull", "repository:other/app:pull")));
        assertThat(granted).containsExactly(new Access("repository", "team-a/app", List.of("pull", "push")),
                new Access("repository", "team-a/p", List.of("pull")));
        assertThat(policy.grant(alice, Scope.parseAll(List.of("repository:team-a/app:*"))))
                .containsExactly(new Access("repository", "team-a/app", List.of("pull", "push")));
    }

    @Test
    void policyFileRules(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, """
                admin-role: ops
                user-namespaces: false
                group-prefix: /teams/
                delete-subgroup: admins
                public: ["mirror/**", "base"]
                rules:
                  - repositories: ["release/*"]
                    users: [ci-builder]
                    actions: [pull, push]
                  - repositories: ["shared/**"]
                    authenticated: true
                    actions: [pull]
                  - repositories: []
                    roles: [auditor]
                    catalog: true
                """);
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(file));
        assertThat(policy.allowed(user("alice", Set.of(), Set.of()), "alice/app")).isEmpty();
        assertThat(policy.allowed(user("x", Set.of(), Set.of("/teams/blue/admins")), "blue/app"))
                .containsExactlyInAnyOrder("pull", "push", "delete");
        assertThat(policy.allowed(user("ci-builder", Set.of(), Set.of()), "release/app")).containsExactlyInAnyOrder("pull", "push");
        assertThat(policy.allowed(user("ci-builder", Set.of(), Set.of()), "release/a/b")).isEmpty();
        assertThat(policy.allowed(user("y", Set.of(), Set.of()), "shared/a/b")).containsExactly("pull");
        assertThat(policy.allowed(Identity.ANONYMOUS, "shared/a/b")).isEmpty();
        assertThat(policy.allowed(Identity.ANONYMOUS, "mirror/docker.io/library/alpine")).containsExactly("pull");
        assertThat(policy.allowed(Identity.ANONYMOUS, "base/alpine")).containsExactly("pull");
        assertThat(policy.allowed(user("z", Set.of("ops"), Set.of()), "any/thing")).containsExactlyInAnyOrder("pull", "push", "delete");
        assertThat(policy.catalog(user("a", Set.of("auditor"), Set.of()))).isTrue();
        assertThat(policy.catalog(user("b", Set.of(), Set.of()))).isFalse();
    }

    @Test
    void pullableGlobsOfTheDefaultPolicy() {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        assertThat(policy.pullable(user("Alice", Set.of(), Set.of("/registry/team-a", "/other/x"))))
                .containsExactly("alice/**", "library/**", "public/**", "team-a/**");
        // the delete sub-group names the same namespace
        assertThat(policy.pullable(user("carol", Set.of(), Set.of("/registry/team-a/delete"))))
                .containsExactly("carol/**", "library/**", "public/**", "team-a/**");
        assertThat(policy.pullable(user("bob", Set.of(), Set.of()))).containsExactly("bob/**", "library/**", "public/**");
        assertThat(policy.pullable(Identity.ANONYMOUS)).containsExactly("library/**", "public/**");
        assertThat(policy.pullable(user("ada", Set.of("registry-admin"), Set.of()))).containsExactly("**");
    }

    @Test
    void pullableFollowsRulesThatGrantPullOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, """
                user-namespaces: false
                group-prefix: /teams/
                public: ["mirror/**", "base"]
                rules:
                  - repositories: ["release/*"]
                    users: [ci-builder]
                    actions: [pull, push]
                  - repositories: ["drop/*"]
                    users: [ci-builder]
                    actions: [push]
                  - repositories: ["shared/**"]
                    authenticated: true
                    actions: [pull]
                  - repositories: ["open/*/docs"]
                    anyone: true
                    actions: ["*"]
                  - repositories: ["star*/x"]
                    groups: [/auditors]
                    actions: [pull]
                  - roles: [auditor]
                    catalog: true
                """);
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(file));
        assertThat(policy.pullable(user("ci-builder", Set.of(), Set.of())))
                .containsExactly("base/**", "mirror/**", "open/*/docs", "release/*", "shared/**");
        assertThat(policy.pullable(user("x", Set.of(), Set.of("/teams/blue", "/auditors"))))
                .containsExactly("base/**", "blue/**", "mirror/**", "open/*/docs", "shared/**", "star*/x");
        assertThat(policy.pullable(Identity.ANONYMOUS)).containsExactly("base/**", "mirror/**", "open/*/docs");
    }

    @Test
    void pullableAgreesWithAllowed() {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        List<Identity> callers = List.of(Identity.ANONYMOUS, user("alice", Set.of(), Set.of("/registry/team-a")),
                user("bob", Set.of(), Set.of()), user("carol", Set.of(), Set.of("/registry/team-a/delete", "/registry/x/y")));
        List<String> repositories = List.of("alice/app", "alice/a/b", "bob/app", "carol/app", "team-a/app", "team-a/x/y",
                "team-ab/app", "x/y/app", "x/app", "public/base", "library/alpine", "publicity/x", "alice");
        for (Identity caller : callers) {
            List<java.util.regex.Pattern> globs = policy.pullable(caller).stream().map(AccessPolicy::glob).toList();
            for (String repository : repositories) {
                boolean byGlob = globs.stream().anyMatch(g -> g.matcher(repository).matches());
                assertThat(byGlob).as("%s may pull %s", caller.username(), repository)
                        .isEqualTo(policy.allowed(caller, repository).contains("pull"));
            }
        }
    }

    @Test
    void decideAddsPullableOnlyWhenTheCatalogIsAskedForAndRefused() {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        Identity alice = user("alice", Set.of(), Set.of("/registry/team-a"));
        AccessPolicy.Decision asked = policy.decide(alice, Scope.parseAll(List.of("registry:catalog:*", "repository:alice/app:pull")));
        assertThat(asked.access()).containsExactly(new Access("repository", "alice/app", List.of("pull")));
        assertThat(asked.pullable()).containsExactly("alice/**", "library/**", "public/**", "team-a/**");
        assertThat(policy.decide(alice, Scope.parseAll(List.of("repository:alice/app:pull"))).pullable()).isNull();
        AccessPolicy.Decision admin = policy.decide(user("ada", Set.of("registry-admin"), Set.of()),
                Scope.parseAll(List.of("registry:catalog:*")));
        assertThat(admin.access()).containsExactly(new Access("registry", "catalog", List.of("*")));
        assertThat(admin.pullable()).isNull();
        assertThat(policy.decide(Identity.ANONYMOUS, Scope.parseAll(List.of("registry:catalog:*"))).pullable())
                .containsExactly("library/**", "public/**");
    }

    @Test
    void gcIsGrantedToTheAdminRoleOnly(@TempDir Path dir) throws Exception {
        AccessPolicy policy = new AccessPolicy(AccessPolicy.load(null));
        List<Scope> gc = Scope.parseAll(List.of("registry:gc:*"));
        assertThat(policy.grant(user("ada", Set.of("registry-admin"), Set.of()), gc))
                .containsExactly(new Access("registry", "gc", List.of("*")));
        Identity robot = new Identity("service-account-ci", Identity.Kind.SERVICE_ACCOUNT, Set.of("registry-admin"),
                Set.of());
        assertThat(policy.grant(robot, gc)).containsExactly(new Access("registry", "gc", List.of("*")));
        // a user with every repository and the catalog by rule is still no gc admin
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, """
                rules:
                  - repositories: ["**"]
                    users: [bob]
                    actions: ["*"]
                    catalog: true
                """);
        AccessPolicy ruled = new AccessPolicy(AccessPolicy.load(file));
        Identity bob = user("bob", Set.of(), Set.of());
        assertThat(ruled.grant(bob, gc)).isEmpty();
        assertThat(ruled.grant(bob, Scope.parseAll(List.of("registry:catalog:*")))).hasSize(1);
        assertThat(policy.grant(user("alice", Set.of("registry-user"), Set.of()), gc)).isEmpty();
        assertThat(policy.grant(Identity.ANONYMOUS, gc)).isEmpty();
        // only the whole scope is granted, as for the catalog
        assertThat(policy.grant(user("ada", Set.of("registry-admin"), Set.of()),
                Scope.parseAll(List.of("registry:gc:run")))).isEmpty();
        assertThat(policy.decide(user("ada", Set.of("registry-admin"), Set.of()), gc).pullable()).isNull();
    }

    @Test
    void unknownKeysAndActionsAreRefused(@TempDir Path dir) throws Exception {
        Path typo = dir.resolve("typo.yaml");
        Files.writeString(typo, "admin-roles: ops\n");
        assertThatThrownBy(() -> AccessPolicy.load(typo)).hasMessageContaining("admin-roles");
        Path action = dir.resolve("action.yaml");
        Files.writeString(action, "rules:\n  - repositories: [a/*]\n    anyone: true\n    actions: [pull, write]\n");
        assertThatThrownBy(() -> new AccessPolicy(AccessPolicy.load(action))).hasMessageContaining("write");
    }

    @Test
    void scopeParsing() {
        assertThat(Scope.parse("repository:a/b:pull,push")).isEqualTo(new Scope("repository", "a/b", new java.util.LinkedHashSet<>(List.of("pull", "push"))));
        assertThat(Scope.parse("registry:catalog:*").actions()).containsExactly("*");
        assertThatThrownBy(() -> Scope.parse("repository:a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scope.parse("Bad Type:a:pull")).isInstanceOf(IllegalArgumentException.class);
    }
}
