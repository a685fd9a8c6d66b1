package dev.streamchat.model.openai;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The OpenAI chat-completions wire format: the request we send and the model list we read. */
final class OpenAiWire {

  private OpenAiWire() {
  }

  static JsonObject chatRequest(String model, List<ChatMessage> messages, int maxTokens) {
    JsonArray turns = new JsonArray();
    messages.forEach(m -> turns.add(new JsonObject().put("role", m.role()).put("content", m.content())));
    JsonObject body = new JsonObject().put("model", model).put("messages", turns).put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    if (maxTokens > 0) body.put("max_tokens", maxTokens);
    return body;
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
