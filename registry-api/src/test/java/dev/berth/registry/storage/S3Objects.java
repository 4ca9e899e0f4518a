package dev.berth.registry.storage;

import dev.berth.devtools.s3.S3ProxyClient;
import dev.berth.devtools.s3.S3ProxyServer;
import dev.berth.devtools.testing.PostgresTestResource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/** A look behind the registry, for the S3 tests: the bucket's objects and the blob table. */
final class S3Objects implements AutoCloseable {
    private final S3AsyncClient s3 = S3ProxyClient.connect(S3ProxyServer.shared().endpoint());

    List<S3Object> list(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(S3StorageProfile.BUCKET).prefix(prefix)).join().contents();
    }

    boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(S3StorageProfile.BUCKET).key(key)).join();
            return true;
        } catch (CompletionException e) {
            return false;
        }
    }

    /** The storage key PostgreSQL records for a digest. */
    static String storageKey(String digest) throws Exception {
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("select storage_key from registry.blob where digest = ?")) {
            s.setString(1, digest);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
