package dev.berth.registry;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import io.quarkus.test.junit.QuarkusTest;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * Guards against a slow leak that made every request slower the longer the registry ran: Hibernate ORM
 * 7.2 caches a new query plan for every native select it executes (the plan key's result mapping never
 * equals the next call's), so one native select on the push path added a plan per push, and after a few
 * thousand pushes plan look-ups scanned thousands of same-hash keys. Pushing, pulling, listing (tags,
 * catalog) and deleting manifests must not add plans.
 */
@QuarkusTest
class QueryPlanCacheTest {
    private static final String NATIVE_SELECT_PLAN_KEY = "org.hibernate.query.sql.spi.SelectInterpretationsKey";

    @Test
    void pushingPullingListingAndDeletingAddNoQueryPlanPerRequest() throws Exception {
        String repo = uniqueRepo("plans");
        pushAndPull(repo, 0, 3); // whatever the first requests of a kind cache once
        long before = liveInstances(NATIVE_SELECT_PLAN_KEY);

        pushAndPull(repo, 3, 40);

        // a native select on this path would add one key per push (40) or per delete (20)
        assertThat(liveInstances(NATIVE_SELECT_PLAN_KEY) - before).isLessThan(5);
    }

    private static void pushAndPull(String repo, int from, int to) {
        for (int i = from; i < to; i++) {
            String manifest = imageManifest(repo, randomBytes(100 + i));
            putManifest(repo, "t" + i, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
            given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/t" + i).then().statusCode(200);
            given().head("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)).then().statusCode(200);
            given().get("/v2/" + repo + "/tags/list?n=10").then().statusCode(200);
            given().get("/v2/_catalog?n=10").then().statusCode(200);
            // every other manifest deleted again, by digest (the tag goes with it)
            if (i % 2 == 1) {
                given().delete("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)).then().statusCode(202);
                given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/t" + i).then().statusCode(404);
            }
        }
    }

    /** Live objects of a class in this JVM, from the heap histogram (what {@code jcmd GC.class_histogram} prints). */
    private static long liveInstances(String className) throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        long count = 0;
        for (String line : histogram.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            // "  12:   345   6789  class.Name" (a class can appear once per class loader)
            if (columns.length >= 4 && columns[3].equals(className)) {
                count += Long.parseLong(columns[1]);
            }
        }
        return count;
    }
}
