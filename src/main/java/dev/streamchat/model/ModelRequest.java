package dev.streamchat.model;

import java.util.List;

/** What to ask a model: its own name for the model, the conversation so far, a length bound. */
public record ModelRequest(String model, List<ChatMessage> messages, int maxTokens) {

  /** The last thing the user said, or "" when there is none. */
  public String lastUserText() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) return messages.get(i).content();
    }
    return "";
  }
}
