package dev.streamchat.chat;

import dev.streamchat.model.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What of a conversation goes to the model: the system prompt (if configured), then as many of
 * the latest turns as fit in a character budget. The newest turn always goes; older turns are
 * dropped first, so a long conversation never fails for its length.
 */
public record HistoryWindow(Optional<String> systemPrompt, int maxChars) {

  /** The turns to send, and how many older ones were left out. */
  public record Fitted(List<ChatMessage> messages, int dropped) {
  }

  public Fitted fit(List<ChatMessage> turns) {
    int keepFrom = turns.size();
    long chars = 0;
    while (keepFrom > 0) {
      long next = chars + turns.get(keepFrom - 1).content().length();
      if (keepFrom < turns.size() && next > maxChars) break;
      chars = next;
      keepFrom--;
    }
    // Start at a person's turn: some APIs refuse a conversation that opens with the assistant.
    while (keepFrom < turns.size() - 1 && !turns.get(keepFrom).role().equals("user")) keepFrom++;
    List<ChatMessage> out = new ArrayList<>();
    systemPrompt.ifPresent(p -> out.add(new ChatMessage("system", p)));
    out.addAll(turns.subList(keepFrom, turns.size()));
    return new Fitted(out, keepFrom);
  }

  /** The turns a conversation's messages give the model (empty ones, like a failed start, carry nothing). */
  public static List<ChatMessage> turns(List<Message> messages) {
    List<ChatMessage> turns = new ArrayList<>();
    for (Message m : messages) {
      if (!m.content().isEmpty()) turns.add(new ChatMessage(m.role(), m.content()));
    }
    return turns;
  }
}
