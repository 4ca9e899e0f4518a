package dev.berth.registry.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * registry-api reaches PostgreSQL one way: the reactive SQL client with plain SQL, each repository method
 * taking the caller's {@code SqlClient}. It once mixed in Hibernate Reactive with Panache, whose calls ran
 * outside the SQL client's transactions unnoticed and whose query-plan cache grew with every native select
 * on the push path. This keeps a second style from coming back: neither the libraries nor a class using them.
 */
class PersistenceStyleTest {
    private static final List<String> FORBIDDEN = List.of("org/hibernate/", "io/quarkus/hibernate/",
            "jakarta/persistence/", "javax/persistence/");

    @Test
    void noHibernatePanacheOrJpaOnTheClasspath() {
        for (String name : List.of("org.hibernate.reactive.mutiny.Mutiny", "org.hibernate.Session",
                "io.quarkus.hibernate.reactive.panache.Panache", "jakarta.persistence.Entity")) {
            assertThatThrownBy(() -> Class.forName(name, false, getClass().getClassLoader()))
                    .as("%s must not be on registry-api's classpath", name)
                    .isInstanceOf(ClassNotFoundException.class);
        }
    }

    @Test
    void noClassUsesHibernatePanacheOrJpa() {
        Map<String, String> classes = CompiledClasses.all();
        List<String> offenders = classes.entrySet().stream()
                .filter(c -> FORBIDDEN.stream().anyMatch(c.getValue()::contains))
                .map(Map.Entry::getKey)
                .toList();
        assertThat(offenders).as("classes using Hibernate, Panache or JPA").isEmpty();
        // the scan sees what it looks for: the SQL client is named by the repositories
        assertThat(classes.get("dev/berth/registry/blob/BlobRepository.class")).contains("io/vertx/mutiny/sqlclient/SqlClient");
    }
}
