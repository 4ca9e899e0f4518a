package dev.berth.it.replicas;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.berth.it.harness.EmbeddedDatabase;
import dev.berth.it.harness.ItEnvironment;
import dev.berth.it.harness.RegistryExtension;
import dev.berth.it.harness.RegistryProcess;

/**
 * What every replica scenario shares: it runs against Berth only, and the replicas of one test class get a
 * fresh database and the storage of the concrete class ({@link #createStorage()}: a shared folder or an S3
 * bucket), closed after the class. Test methods run in their {@code @Order}, on one instance, so that a
 * scenario's steps build on each other.
 */
@ExtendWith(RegistryExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ReplicaScenario {

    protected EmbeddedDatabase database;
    protected String databaseName;
    protected ReplicaStorage storage;

    /** The storage the replicas share, started for this class and closed after it. */
    protected abstract ReplicaStorage createStorage();

    static boolean againstBerth() {
        return ItEnvironment.selectedRegistry().equals("berth");
    }

    /* runs before the @BeforeAll of the scenario, which starts the replicas */
    @BeforeAll
    void createDatabaseAndStorage(ItEnvironment environment) {
        if (!againstBerth()) {
            return;
        }
        RegistryProcess.runnerJar();
        database = environment.database();
        databaseName = "replicas_" + Long.toHexString(System.nanoTime());
        database.createDatabase(databaseName);
        storage = environment.track(createStorage());
    }

    /** Starts a replica on the shared database and storage, with {@code configuration} on top. */
    protected RegistryProcess startReplica(String name, Map<String, String> configuration) {
        Map<String, String> properties = new LinkedHashMap<>(storage.registryProperties());
        properties.putAll(configuration);
        return ItEnvironment.get().track(
                RegistryProcess.start(name, database, databaseName, storage.filesystemRoot(), properties));
    }

    @BeforeEach
    void onlyAgainstBerth() {
        if (!againstBerth()) {
            String reason = "replica tests run against Berth only (-D" + ItEnvironment.REGISTRY_PROPERTY + "="
                    + ItEnvironment.selectedRegistry() + ")";
            System.out.println("[berth-it] SKIP: " + reason);
            Assumptions.abort(reason);
        }
    }

    /* runs after the @AfterAll of the scenario, which stops the replicas */
    @AfterAll
    void closeStorage() {
        if (storage != null) {
            storage.close();
        }
    }
}
