package dev.berth.catalog.events;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The periodic outbox catch-up pushed out of the way: a test sees only what the bus (and its gaps) trigger. */
public class SlowCatchUpProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("catalog.events.catch-up-interval", "PT1H");
    }
}
