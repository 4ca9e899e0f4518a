package dev.berth.registry.auth;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/** registry-api with registry.auth.enabled=true against {@link TestJwks}. */
public class AuthEnabledProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("registry.auth.enabled", "true",
                "registry.auth.realm", "http://127.0.0.1:5001/token",
                "registry.auth.service", "berth-registry",
                "registry.auth.issuer", "berth-token-service",
                "registry.auth.jwks-min-refresh-interval", "PT0S");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(TestJwks.class));
    }
}
