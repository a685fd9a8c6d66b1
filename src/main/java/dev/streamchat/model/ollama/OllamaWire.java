package dev.streamchat.model.ollama;

import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.ResponseFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Ollama's native wire format: the {@code /api/chat} request and the {@code /api/tags} list. */
final class OllamaWire {

  private OllamaWire() {
  }

  static JsonObject chatRequest(ModelRequest request) {
    JsonArray turns = new JsonArray();
    request.messages().forEach(m -> turns.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    JsonObject body = new JsonObject().put("model", request.model()).put("messages", turns).put("stream", true);
    if (request.maxTokens() > 0) body.put("options", new JsonObject().put("num_predict", request.maxTokens()));
    // Ollama's structured outputs: "json" for any JSON, or the schema itself.
    ResponseFormat format = request.responseFormat();
    if (format != null) body.put("format", format.kind() == ResponseFormat.Kind.JSON_SCHEMA ? format.schema() : "json");
    return body;
  }

  /** {@code GET /api/tags}: {"models": [{"name": "llama3.2:latest", ...}]}. */
  static List<ModelInfo> models(JsonObject tags) {
    List<ModelInfo> out = new ArrayList<>();
    for (Object o : tags.getJsonArray("models", new JsonArray())) {
      if (o instanceof JsonObject m && m.getValue("name") instanceof String name && !name.isBlank()) {
        out.add(new ModelInfo(OllamaProvider.NAME + ":" + name, OllamaProvider.NAME, name + " (Ollama)", name));
      }
    }
    return out;
  }
}
