package dev.berth.gc.support;

import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The real PostgreSQL of the tests (registry-devtools' shared embedded server) with registry-api's schema
 * migrated by registry-api's own Flyway scripts (copied into the test classes at build time, see the pom), as
 * registry-api would have left it; gc-worker then migrates its own schema at start.
 */
public class GcDatabase implements QuarkusTestResourceLifecycleManager {
    private final PostgresTestResource postgres = new PostgresTestResource();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = postgres.start();
        Flyway.configure()
                .dataSource(PostgresTestResource.jdbcUrl(), PostgresTestResource.USERNAME, PostgresTestResource.PASSWORD)
                .schemas("registry").defaultSchema("registry")
                .locations("classpath:db/registry-migration")
                .load().migrate();
        return config;
    }

    @Override
    public void stop() {
        postgres.stop();
    }
}
