package dev.berth.core.scope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScopeTest {

    @Test
    void parsesRepositoryAndRegistryScopes() {
        Scope push = Scope.parse("repository:team-a/app:pull,push");
        assertThat(push.type()).isEqualTo("repository");
        assertThat(push.name()).isEqualTo("team-a/app");
        assertThat(push.actions()).containsExactly("pull", "push");
        assertThat(Scope.parse("registry:catalog:*")).isEqualTo(Scope.CATALOG);
    }

    @Test
    void aClassIsAcceptedAndGrantedLikeItsType() {
        assertThat(Scope.parse("repository(plugin):vieux/sshfs:pull")).isEqualTo(Scope.repository("vieux/sshfs", "pull"));
    }

    @Test
    void writesWhatItParses() {
        for (String text : List.of("repository:a/b:pull,push", "registry:catalog:*", "repository:x:delete")) {
            assertThat(Scope.parse(text).toString()).isEqualTo(text);
        }
        assertThat(Scope.format(List.of(Scope.repository("t/app", "pull", "push"), Scope.repository("src", "pull"))))
                .isEqualTo("repository:t/app:pull,push repository:src:pull");
    }

    @Test
    void mergesDuplicatesAcrossValues() {
        assertThat(Scope.parseAll(List.of("repository:a:pull registry:catalog:*", "repository:a:push")))
                .containsExactly(Scope.repository("a", "pull", "push"), Scope.CATALOG);
        assertThat(Scope.parseAll(null)).isEmpty();
        assertThat(Scope.parseAll(List.of("  "))).isEmpty();
    }

    @Test
    void refusesMalformedScopes() {
        for (String bad : List.of("repository:a", "repository", ":a:pull", "repository:a:", "Bad Type:a:pull", "REPO:a:pull")) {
            assertThatThrownBy(() -> Scope.parse(bad)).as(bad).isInstanceOfSatisfying(InvalidScopeException.class,
                    e -> assertThat(e.problem()).isEqualTo(InvalidScopeException.Problem.MALFORMED));
        }
    }

    @Test
    void refusesInvalidRepositoryNames() {
        for (String bad : List.of("repository:Acc/Bad:pull", "repository::pull", "repository:a//b:pull",
                "repository:host:5000/app:pull", "repository(plugin):UP:pull", "repository:../etc:pull")) {
            assertThatThrownBy(() -> Scope.parse(bad)).as(bad).isInstanceOfSatisfying(InvalidScopeException.class,
                    e -> assertThat(e.problem()).isEqualTo(InvalidScopeException.Problem.NAME_INVALID));
        }
        // only repository names follow the repository grammar
        assertThat(Scope.parse("registry:catalog:*").name()).isEqualTo("catalog");
    }

    @Test
    void actionsKeepTheirOrderAndCannotBeChanged() {
        Scope scope = Scope.repository("a", "push", "pull");
        assertThat(scope.actions()).containsExactly("push", "pull");
        assertThatThrownBy(() -> scope.actions().add("delete")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new Scope("repository", "a", Set.of())).hasToString("repository:a:");
    }
}
