package dev.berth.catalog.visibility;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;

/** catalog.auth.enabled=true against the JWKS of {@link TestTokens}. */
public class AuthProfile implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(TestTokens.class));
    }
}
