package dev.streamchat.model.llama;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.Pair;
import dev.streamchat.model.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The conversation as the model's own prompt text. {@code generate} ignores messages, so the
 * GGUF's chat template is applied here (llama.cpp falls back to ChatML when the file has none).
 */
final class ChatPrompt {

  private ChatPrompt() {
  }

  /**
   * The prompt of the newest turns that fit in {@code budgetTokens}: the oldest turns are left out
   * first (system messages and the newest turn always stay, and the kept turns start with the
   * person's), so the question is never cut; empty when even the newest turn does not fit.
   */
  static java.util.Optional<String> fit(LlamaModel model, List<ChatMessage> messages, int budgetTokens) {
    List<ChatMessage> kept = new ArrayList<>(messages);
    String prompt = render(model, kept);
    while (model.encode(prompt).length > budgetTokens) {
      if (!dropOldestTurn(kept)) return java.util.Optional.empty();
      prompt = render(model, kept);
    }
    return java.util.Optional.of(prompt);
  }

  private static boolean dropOldestTurn(List<ChatMessage> kept) {
    int first = 0;
    while (first < kept.size() && kept.get(first).role().equals("system")) first++;
    if (kept.size() - first <= 1) return false;
    kept.remove(first);
    while (kept.size() - first > 1 && !kept.get(first).role().equals("user")) kept.remove(first);
    return true;
  }

  static String render(LlamaModel model, List<ChatMessage> messages) {
    StringBuilder system = new StringBuilder();
    List<Pair<String, String>> turns = new ArrayList<>();
    for (ChatMessage m : messages) {
      switch (m.role()) {
        // The binding takes one system message: several are joined, in order.
        case "system" -> system.append(system.isEmpty() ? "" : "\n\n").append(m.content());
        case "user", "assistant" -> turns.add(new Pair<>(m.role(), m.content()));
        default -> { } // no other role reaches a model
      }
    }
    InferenceParameters params = new InferenceParameters("")
        .setUseChatTemplate(true)
        .setMessages(system.isEmpty() ? null : system.toString(), turns);
    return model.applyTemplate(params);
  }
}
