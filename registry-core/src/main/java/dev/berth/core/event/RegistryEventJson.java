package dev.berth.core.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON form of {@link RegistryEvent}, as published on the event bus and documented in docs/events.md.
 * Written by hand rather than by data binding so that the wire format cannot change with a record
 * component's name or a mapper setting: absent fields are left out, {@code time} is ISO-8601 UTC.
 */
public final class RegistryEventJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RegistryEventJson() {
    }

    public static String write(RegistryEvent event) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("version", event.version());
        json.put("position", event.position());
        json.put("type", event.type());
        if (event.time() != null) {
            json.put("time", event.time().toString());
        }
        json.put("repository", event.repository());
        putIfPresent(json, "digest", event.digest());
        putIfPresent(json, "tag", event.tag());
        putIfPresent(json, "mediaType", event.mediaType());
        putIfPresent(json, "artifactType", event.artifactType());
        if (event.size() != null) {
            json.put("size", event.size());
        }
        if (!event.platforms().isEmpty()) {
            ArrayNode platforms = json.putArray("platforms");
            event.platforms().forEach(platforms::add);
        }
        putIfPresent(json, "subject", event.subject());
        putIfPresent(json, "actor", event.actor());
        return json.toString();
    }

    /**
     * Reads one event; unknown fields are ignored (a newer minor writer may add some).
     *
     * @throws InvalidEventException when the text is not an event, or its version is newer than this reader
     */
    public static RegistryEvent read(String text) {
        JsonNode json;
        try {
            json = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new InvalidEventException("an event is a JSON object");
        }
        int version = json.path("version").asInt(0);
        if (version < 1 || version > RegistryEvent.CURRENT_VERSION) {
            throw new InvalidEventException("event version " + json.path("version") + " cannot be read (this reader knows 1 to "
                    + RegistryEvent.CURRENT_VERSION + ")");
        }
        List<String> platforms = new ArrayList<>();
        json.path("platforms").forEach(p -> platforms.add(p.asText()));
        try {
            return new RegistryEvent(version, json.path("position").asLong(0), text(json, "type"),
                    json.hasNonNull("time") ? Instant.parse(json.get("time").asText()) : null, text(json, "repository"),
                    text(json, "digest"), text(json, "tag"), text(json, "mediaType"), text(json, "artifactType"),
                    json.hasNonNull("size") ? json.get("size").asLong() : null, platforms, text(json, "subject"),
                    text(json, "actor"));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new InvalidEventException(e.getMessage());
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private static void putIfPresent(ObjectNode json, String field, String value) {
        if (value != null) {
            json.put(field, value);
        }
    }

    /** An event that cannot be read: consumers log it with its position and stop rather than skip it. */
    public static final class InvalidEventException extends RuntimeException {
        public InvalidEventException(String message) {
            super("invalid registry event: " + message);
        }
    }
}
