package dev.streamchat.stream;

import dev.streamchat.model.ChatMessage;
import java.util.List;

/**
 * What the worker is asked to generate: the generation, the turns the model is sent, its length
 * bound (0: the server's), and the text its log begins with (an earlier answer being continued, or "").
 */
public record GenerationRequest(GenerationInfo info, List<ChatMessage> messages, int maxTokens, String prefix) {

  public GenerationRequest {
    messages = List.copyOf(messages);
    if (prefix == null) prefix = "";
  }
}
