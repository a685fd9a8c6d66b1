package dev.streamchat.model.openai;

import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.ResponseFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The OpenAI chat-completions wire format: the request we send and the model list we read. */
final class OpenAiWire {

  private OpenAiWire() {
  }

  static JsonObject chatRequest(ModelRequest request) {
    JsonArray turns = new JsonArray();
    request.messages().forEach(m -> turns.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    JsonObject body = new JsonObject().put("model", request.model()).put("messages", turns).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    if (request.maxTokens() > 0) body.put("max_tokens", request.maxTokens());
    if (request.responseFormat() != null) body.put("response_format", responseFormat(request.responseFormat()));
    return body;
  }

  /** {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}. */
  static JsonObject responseFormat(ResponseFormat format) {
    JsonObject out = new JsonObject().put("type", format.kind().wire());
    if (format.kind() == ResponseFormat.Kind.JSON_SCHEMA) {
      JsonObject schema = new JsonObject().put("name", format.name()).put("schema", format.schema());
      if (format.strict() != null) schema.put("strict", format.strict());
      out.put("json_schema", schema);
    }
    return out;
  }

  /** {@code GET /models}: {"data": [{"id": "gpt-4o-mini", ...}]}. */
  static List<ModelInfo> models(JsonObject list) {
    List<ModelInfo> out = new ArrayList<>();
    JsonArray data = list.getJsonArray("data", new JsonArray());
    for (Object o : data) {
      if (o instanceof JsonObject m && m.getValue("id") instanceof String id && !id.isBlank()) {
        out.add(new ModelInfo(OpenAiProvider.NAME + ":" + id, OpenAiProvider.NAME, id + " (OpenAI-compatible)", id));
      }
    }
    return out;
  }
}
