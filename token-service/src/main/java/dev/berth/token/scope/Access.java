package dev.berth.token.scope;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** One entry of a token's {@code access} claim: {@code {"type","name","actions"}}. */
@JsonPropertyOrder({"type", "name", "actions"})
public record Access(String type, String name, List<String> actions) {
}
