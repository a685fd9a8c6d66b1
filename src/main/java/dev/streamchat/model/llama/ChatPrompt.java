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
