package dev.streamchat.model;

import java.util.List;

/**
 * What to ask a model: its own name for the model, the conversation so far, a length bound, and
 * the shape the answer must have ({@code responseFormat}; null for free text).
 */
public record ModelRequest(String model, List<ChatMessage> messages, int maxTokens, ResponseFormat responseFormat) {

  /** A free-text answer. */
  public ModelRequest(String model, List<ChatMessage> messages, int maxTokens) {
    this(model, messages, maxTokens, null);
  }

  /** The same request, asking for an answer of this shape (null: free text). */
  public ModelRequest withResponseFormat(ResponseFormat format) {
    return new ModelRequest(model, messages, maxTokens, format);
  }

  /** The last thing the user said, or "" when there is none. */
  public String lastUserText() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) return messages.get(i).content();
    }
    return "";
  }
}
