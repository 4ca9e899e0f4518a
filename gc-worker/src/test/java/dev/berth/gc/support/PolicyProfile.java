package dev.berth.gc.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Retention and untagged policies over disjoint repository prefixes, one per kind of test. */
public class PolicyProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("gc.retention.keep.repositories", "ret/keep/**"),
                Map.entry("gc.retention.keep.keep-last", "2"),
                Map.entry("gc.retention.age.repositories", "ret/age/**"),
                Map.entry("gc.retention.age.older-than", "P30D"),
                Map.entry("gc.retention.filter.repositories", "ret/filter/**"),
                Map.entry("gc.retention.filter.keep-last", "0"),
                Map.entry("gc.retention.filter.include", "ci-.*"),
                Map.entry("gc.retention.filter.exclude", "ci-keep-.*"),
                // neither limit: reported as an error, never applied
                Map.entry("gc.retention.unlimited.repositories", "ret/unlimited/**"),
                Map.entry("gc.untagged.repositories", "unt/**"),
                Map.entry("gc.untagged.older-than", "P7D"));
    }
}
