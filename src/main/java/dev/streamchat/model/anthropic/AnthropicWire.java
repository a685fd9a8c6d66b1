package dev.streamchat.model.anthropic;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.ResponseFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The Anthropic Messages wire format: the request we send and the model list we read. */
final class AnthropicWire {

  static final String VERSION = "2023-06-01";
  /** Messages requires max_tokens; this is what a request that sets none gets. */
  static final int DEFAULT_MAX_TOKENS = 4096;

  private AnthropicWire() {
  }

  /**
   * System turns go to the top-level {@code system} field, the rest stay in order. A JSON answer
   * is asked for as the one tool the model must call, its input schema the answer's schema: the
   * tool call's {@code input_json_delta} stream is the answer. (Anthropic wants an object schema
   * for a tool; it refuses any other, and the answer fails with its message.)
   */
  static JsonObject messagesRequest(ModelRequest request) {
    JsonArray turns = new JsonArray();
    StringBuilder system = new StringBuilder();
    for (ChatMessage m : request.messages()) {
      if (m.role().equals("system")) {
        if (system.length() > 0) system.append("\n\n");
        system.append(m.content());
      } else {
        turns.add(new JsonObject().put("role", m.role()).put("content", m.content()));
      }
    }
    JsonObject body = new JsonObject().put("model", request.model())
        .put("max_tokens", request.maxTokens() > 0 ? request.maxTokens() : DEFAULT_MAX_TOKENS)
        .put("messages", turns).put("stream", true);
    if (system.length() > 0) body.put("system", system.toString());
    ResponseFormat format = request.responseFormat();
    if (format != null) {
      body.put("tools", new JsonArray().add(new JsonObject().put("name", format.name())
          .put("description", "Give your whole answer as this tool's input, as JSON.")
          .put("input_schema", format.schemaOrAnyObject())));
      body.put("tool_choice", new JsonObject().put("type", "tool").put("name", format.name()));
    }
    return body;
  }

  /** {@code GET /v1/models}: {"data": [{"id": "claude-…", "display_name": "Claude …"}]}. */
  static List<ModelInfo> models(JsonObject list) {
    List<ModelInfo> out = new ArrayList<>();
    for (Object o : list.getJsonArray("data", new JsonArray())) {
      if (o instanceof JsonObject m && m.getValue("id") instanceof String id && !id.isBlank()) {
        String display = m.getValue("display_name") instanceof String d && !d.isBlank() ? d : id;
        out.add(new ModelInfo(AnthropicProvider.NAME + ":" + id, AnthropicProvider.NAME, display + " (Anthropic)", id));
      }
    }
    return out;
  }
}
