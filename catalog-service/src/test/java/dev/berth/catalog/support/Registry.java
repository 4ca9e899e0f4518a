package dev.berth.catalog.support;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import dev.berth.devtools.testing.PostgresTestResource;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Plays registry-api against the real database: each change writes the registry tables and its outbox rows in
 * one transaction (as registry-api's services do), then the rows are positioned in commit order in a second
 * transaction (as the relay does), and optionally published on the event bus as the relay publishes them.
 */
public final class Registry {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    private final DataSource db = PostgresTestResource.dataSource();
    private final Vertx vertx;
    /** Whether positioned events are published on the bus (off: consumers must find them in the outbox). */
    public boolean publish = true;
    /** Config blobs by digest, for the berth.registry.blob.read responder of the tests. */
    public final Map<String, byte[]> blobs = new java.util.concurrent.ConcurrentHashMap<>();

    public Registry(Vertx vertx) {
        this.vertx = vertx;
    }

    /** A blob: digest, size and bytes. */
    public record Blob(String digest, long size, byte[] bytes, String mediaType) {
        public String descriptor() {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
        }
    }

    /** A manifest as pushed: its digest and payload. */
    public record Manifest(String digest, String mediaType, byte[] payload, String subject, String artifactType,
            List<Blob> blobs, List<String> children) {
        public long size() {
            return payload.length;
        }
    }

    public static Blob blob(String content, String mediaType) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return new Blob(sha256(bytes), bytes.length, bytes, mediaType);
    }

    public static Blob layer(String content) {
        return blob(content, OCI_LAYER);
    }

    /** An image config with labels and a platform. */
    public static Blob config(String os, String arch, Map<String, String> labels) {
        StringBuilder json = new StringBuilder("{\"architecture\":\"" + arch + "\",\"os\":\"" + os + "\",\"config\":{\"Labels\":{");
        int i = 0;
        for (var e : labels.entrySet()) {
            json.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
        }
        json.append("}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        return blob(json.toString(), OCI_CONFIG);
    }

    public static Manifest image(Blob config, List<Blob> layers, Map<String, String> annotations) {
        return image(config, layers, annotations, null, null);
    }

    /** An image manifest; with {@code subject} a referrer (signature, SBOM) of that manifest. */
    public static Manifest image(Blob config, List<Blob> layers, Map<String, String> annotations, Manifest subject,
            String artifactType) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\"");
        if (artifactType != null) {
            json.append(",\"artifactType\":\"").append(artifactType).append('"');
        }
        json.append(",\"config\":").append(config.descriptor()).append(",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i > 0 ? "," : "").append(layers.get(i).descriptor());
        }
        json.append(']');
        if (subject != null) {
            json.append(",\"subject\":{\"mediaType\":\"").append(subject.mediaType()).append("\",\"digest\":\"")
                    .append(subject.digest()).append("\",\"size\":").append(subject.size()).append('}');
        }
        json.append(annotationsJson(annotations)).append('}');
        List<Blob> all = new ArrayList<>();
        all.add(config);
        all.addAll(layers);
        byte[] payload = json.toString().getBytes(StandardCharsets.UTF_8);
        return new Manifest(sha256(payload), OCI_MANIFEST, payload, subject == null ? null : subject.digest(),
                artifactType != null ? artifactType : config.mediaType(), all, List.of());
    }

    /** An index of images, each with its platform ({@code os/arch[/variant]}). */
    public static Manifest index(Map<Manifest, String> children) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[");
        int i = 0;
        for (var child : children.entrySet()) {
            String[] p = child.getValue().split("/");
            json.append(i++ > 0 ? "," : "").append("{\"mediaType\":\"").append(child.getKey().mediaType())
                    .append("\",\"digest\":\"").append(child.getKey().digest()).append("\",\"size\":")
                    .append(child.getKey().size()).append(",\"platform\":{\"os\":\"").append(p[0])
                    .append("\",\"architecture\":\"").append(p[1]).append('"')
                    .append(p.length > 2 ? ",\"variant\":\"" + p[2] + "\"" : "").append("}}");
        }
        json.append("]}");
        byte[] payload = json.toString().getBytes(StandardCharsets.UTF_8);
        return new Manifest(sha256(payload), OCI_INDEX, payload, null, null, List.of(),
                children.keySet().stream().map(Manifest::digest).toList());
    }

    private static String annotationsJson(Map<String, String> annotations) {
        if (annotations == null || annotations.isEmpty()) {
            return "";
        }
        StringBuilder json = new StringBuilder(",\"annotations\":{");
        int i = 0;
        for (var e : annotations.entrySet()) {
            json.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
        }
        return json.append('}').toString();
    }

    /** Pushes a manifest (its blobs first, as a client does) and tags it when {@code tag} is not null. */
    public List<RegistryEvent> push(String repository, Manifest manifest, String tag, String actor) {
        for (Blob b : manifest.blobs()) {
            blobs.put(b.digest(), b.bytes());
        }
        return change(c -> {
            long repo = ensureRepository(c, repository, actor);
            for (Blob b : manifest.blobs()) {
                update(c, "insert into registry.blob (digest, size, storage_key) values (?, ?, ?) on conflict do nothing",
                        b.digest(), b.size(), "blobs/" + b.digest());
                if (update(c, "insert into registry.repository_blob (repository_id, digest) values (?, ?) on conflict do nothing",
                        repo, b.digest()) > 0) {
                    outbox(c, RegistryEvent.BLOB_PUSHED, repository, b.digest(), null, null, null, b.size(), null, null, actor);
                }
            }
            Long id = single(c, "select id from registry.manifest where repository_id = ? and digest = ?", repo, manifest.digest());
            if (id == null) {
                id = single(c, """
                        insert into registry.manifest (repository_id, digest, media_type, artifact_type, subject_digest, size, payload)
                        values (?, ?, ?, ?, ?, ?, ?) returning id""", repo, manifest.digest(), manifest.mediaType(),
                        manifest.artifactType(), manifest.subject(), manifest.size(), manifest.payload());
                for (Blob b : manifest.blobs()) {
                    update(c, "insert into registry.manifest_reference (manifest_id, digest, kind) values (?, ?, ?)", id,
                            b.digest(), b.mediaType().equals(OCI_CONFIG) ? "config" : "layer");
                }
                for (String child : manifest.children()) {
                    update(c, "insert into registry.manifest_reference (manifest_id, digest, kind) values (?, ?, 'manifest')", id, child);
                }
                outbox(c, RegistryEvent.MANIFEST_PUSHED, repository, manifest.digest(), null, manifest.mediaType(),
                        manifest.artifactType(), manifest.size(), null, manifest.subject(), actor);
            }
            if (tag != null) {
                update(c, """
                        insert into registry.tag (repository_id, name, manifest_id) values (?, ?, ?)
                        on conflict (repository_id, name) do update set manifest_id = excluded.manifest_id, updated_at = now()
                        where tag.manifest_id <> excluded.manifest_id""", repo, tag, id);
                outbox(c, RegistryEvent.TAG_UPDATED, repository, manifest.digest(), tag, manifest.mediaType(),
                        manifest.artifactType(), manifest.size(), null, manifest.subject(), actor);
            }
        });
    }

    /** Uploads a blob into a repository (creating it): no manifest, so nothing the catalog counts in sizes. */
    public List<RegistryEvent> upload(String repository, Blob blob, String actor) {
        blobs.put(blob.digest(), blob.bytes());
        return change(c -> {
            long repo = ensureRepository(c, repository, actor);
            update(c, "insert into registry.blob (digest, size, storage_key) values (?, ?, ?) on conflict do nothing",
                    blob.digest(), blob.size(), "blobs/" + blob.digest());
            update(c, "insert into registry.repository_blob (repository_id, digest) values (?, ?) on conflict do nothing",
                    repo, blob.digest());
            outbox(c, RegistryEvent.BLOB_PUSHED, repository, blob.digest(), null, null, null, blob.size(), null, null, actor);
        });
    }

    /** Sets the consumer's stored position (to replay events over the current read model). */
    public void rewindConsumer(long position) {
        try (Connection c = db.getConnection()) {
            update(c, "update catalog.consumer_state set last_position = ?", position);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Inserts a raw outbox row with the next position (a future writer's event, say). */
    public long appendRaw(int version, String type, String repository) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            long position = single(c, "select next_position from registry.outbox_relay where id = 1 for update");
            update(c, "insert into registry.outbox (version, event_type, repository, position) values (?, ?, ?, ?)",
                    version, type, repository, position);
            update(c, "update registry.outbox_relay set next_position = next_position + 1");
            c.commit();
            return position;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<RegistryEvent> deleteTag(String repository, String tag, String actor) {
        return change(c -> {
            String digest = text(c, """
                    delete from registry.tag t using registry.repository r, registry.manifest m
                    where r.id = t.repository_id and r.name = ? and t.name = ? and m.id = t.manifest_id returning m.digest""",
                    repository, tag);
            outbox(c, RegistryEvent.TAG_DELETED, repository, digest, tag, null, null, null, null, null, actor);
        });
    }

    public List<RegistryEvent> deleteManifest(String repository, String digest, String actor) {
        return change(c -> {
            List<String> tags = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    select t.name from registry.tag t join registry.repository r on r.id = t.repository_id
                    join registry.manifest m on m.id = t.manifest_id where r.name = ? and m.digest = ? order by t.name""")) {
                s.setString(1, repository);
                s.setString(2, digest);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        tags.add(rs.getString(1));
                    }
                }
            }
            for (String tag : tags) {
                outbox(c, RegistryEvent.TAG_DELETED, repository, digest, tag, null, null, null, null, null, actor);
            }
            update(c, "delete from registry.manifest m using registry.repository r where r.id = m.repository_id and r.name = ? and m.digest = ?",
                    repository, digest);
            outbox(c, RegistryEvent.MANIFEST_DELETED, repository, digest, null, null, null, null, null, null, actor);
        });
    }

    public List<RegistryEvent> deleteRepository(String repository, String actor) {
        return change(c -> {
            update(c, "delete from registry.repository where name = ?", repository);
            outbox(c, RegistryEvent.REPOSITORY_DELETED, repository, null, null, null, null, null, null, null, actor);
        });
    }

    /** Publishes events again (a redelivery). */
    public void publish(List<RegistryEvent> events) {
        for (RegistryEvent e : events) {
            vertx.eventBus().publish("berth.events", RegistryEventJson.write(e));
        }
    }

    /** The highest position assigned so far. */
    public long position() {
        try (Connection c = db.getConnection()) {
            Long p = single(c, "select max(position) from registry.outbox");
            return p == null ? 0 : p;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Empties the registry tables and the read model (between test classes sharing the database). */
    public void reset() {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            // the consumer's lock first, as the consumer takes it (then the registry's tables): taken in the other
            // order, a reset during a catch-up deadlocks with it
            single(c, "select last_position from catalog.consumer_state where id = 1 for update");
            update(c, "truncate registry.repository, registry.blob, registry.outbox, registry.outbox_consumer cascade");
            update(c, "update registry.outbox_relay set next_position = 1");
            update(c, "delete from catalog.repository");
            update(c, "delete from catalog.config_info");
            update(c, "update catalog.consumer_state set last_position = 0");
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Change {
        void run(Connection c) throws SQLException;
    }

    /** One registry change in one transaction, then positioned (relay) and published. */
    private List<RegistryEvent> change(Change change) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            change.run(c);
            c.commit();
            // the relay: positions in commit order, then publish in position order
            List<RegistryEvent> events = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    with next as (select next_position from registry.outbox_relay where id = 1 for update),
                    todo as (select sequence, (select next_position from next) - 1 + row_number() over (order by sequence) as p
                             from registry.outbox where position is null),
                    done as (update registry.outbox o set position = todo.p from todo where o.sequence = todo.sequence
                             returning o.*),
                    moved as (update registry.outbox_relay set next_position = next_position + (select count(*) from todo) where id = 1)
                    select position, version, event_type, occurred_at, repository, digest, tag, media_type, artifact_type,
                           size, platforms, subject, actor from done order by position""")) {
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        Array platforms = rs.getArray("platforms");
                        Timestamp at = rs.getTimestamp("occurred_at");
                        long size = rs.getLong("size");
                        events.add(new RegistryEvent(rs.getInt("version"), rs.getLong("position"), rs.getString("event_type"),
                                at.toInstant(), rs.getString("repository"), rs.getString("digest"), rs.getString("tag"),
                                rs.getString("media_type"), rs.getString("artifact_type"), rs.wasNull() ? null : size,
                                platforms == null ? List.of() : Arrays.asList((String[]) platforms.getArray()),
                                rs.getString("subject"), rs.getString("actor")));
                    }
                }
            }
            c.commit();
            if (publish) {
                publish(events);
            }
            return events;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long ensureRepository(Connection c, String name, String actor) throws SQLException {
        Long id = single(c, "select id from registry.repository where name = ?", name);
        if (id != null) {
            return id;
        }
        outbox(c, RegistryEvent.REPOSITORY_CREATED, name, null, null, null, null, null, null, null, actor);
        return single(c, "insert into registry.repository (name) values (?) returning id", name);
    }

    private static void outbox(Connection c, String type, String repository, String digest, String tag, String mediaType,
            String artifactType, Long size, String[] platforms, String subject, String actor) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                insert into registry.outbox (event_type, repository, digest, tag, media_type, artifact_type, size, platforms,
                subject, actor) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            s.setString(1, type);
            s.setString(2, repository);
            s.setString(3, digest);
            s.setString(4, tag);
            s.setString(5, mediaType);
            s.setString(6, artifactType);
            s.setObject(7, size);
            s.setArray(8, platforms == null ? null : c.createArrayOf("text", platforms));
            s.setString(9, subject);
            s.setString(10, actor);
            s.executeUpdate();
        }
    }

    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, params);
            return s.executeUpdate();
        }
    }

    private static Long single(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, params);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long v = rs.getLong(1);
                return rs.wasNull() ? null : v;
            }
        }
    }

    private static String text(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, params);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static void bind(PreparedStatement s, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            s.setObject(i + 1, params[i]);
        }
    }

    /** Every row of the read model, as text, in a fixed order (for comparing two states). */
    public Map<String, List<String>> readModel() {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        for (String table : List.of("repository", "manifest", "manifest_blob", "tag")) {
            List<String> rows = new ArrayList<>();
            try (Connection c = db.getConnection();
                    PreparedStatement s = c.prepareStatement("select t::text from catalog." + table + " t order by 1");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getString(1));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            tables.put(table, rows);
        }
        return tables;
    }

    /** The consumer's stored position. */
    public long appliedPosition() {
        try (Connection c = db.getConnection()) {
            return single(c, "select last_position from catalog.consumer_state where id = 1");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Long reportedPosition(String consumer) {
        try (Connection c = db.getConnection()) {
            return single(c, "select position from registry.outbox_consumer where name = ?", consumer);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits (bounded) until the consumer has applied {@code position}; fails the test otherwise. */
    public void awaitApplied(long position) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (appliedPosition() < position) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the consumer did not reach position " + position + " (at " + appliedPosition() + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Answers berth.registry.blob.read from {@link #blobs}, as registry-api does. */
    public io.vertx.core.eventbus.MessageConsumer<io.vertx.core.json.JsonObject> answerBlobReads() {
        return vertx.eventBus().<io.vertx.core.json.JsonObject>consumer("berth.registry.blob.read", message -> {
            byte[] bytes = blobs.get(message.body().getString("digest"));
            if (bytes == null) {
                message.fail(404, "blob unknown");
            } else {
                message.reply(io.vertx.core.buffer.Buffer.buffer(bytes));
            }
        });
    }
}
