package dev.streamchat.stream;

import dev.streamchat.model.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the worker is asked to generate: the generation, the turns the model is sent, its length
 * bound (0: the server's), the text its log begins with (an earlier answer being continued, or ""),
 * and, for a generation taken over from an instance that stopped, where its log already stands
 * ({@code resume}, else null): the new text is appended after it, under the same id.
 */
public record GenerationRequest(GenerationInfo info, List<ChatMessage> messages, int maxTokens, String prefix,
    Resume resume) {

  /** What Continue (and a takeover) asks the model after its partial answer. */
  public static final String CONTINUE_INSTRUCTION = "Your previous answer was cut off. Continue it exactly "
      + "where it stopped, without repeating anything and without comment.";

  /** Why a taken-over answer ends {@code interrupted}: the model could not be asked to go on. */
  public static final String CANNOT_CONTINUE = "The server writing this answer stopped, and the model could not "
      + "continue it here; it ended with the text written so far.";

  /**
   * A log that already holds chunks 1..{@code afterSeq}, {@code bytes} bytes of UTF-8 in all (they
   * count toward the bounds), whose answer text is {@code text} (a JSON answer is parsed from it on).
   */
  public record Resume(long afterSeq, long bytes, String text) {
  }

  public GenerationRequest {
    messages = List.copyOf(messages);
    if (prefix == null) prefix = "";
  }

  public GenerationRequest(GenerationInfo info, List<ChatMessage> messages, int maxTokens, String prefix) {
    this(info, messages, maxTokens, prefix, null);
  }

  /**
   * This request carried on from what its log holds so far, under the same id: the model gets
   * the partial answer as its own turn and the Continue instruction (a request that was itself a
   * Continue has its old partial turn and instruction replaced).
   */
  public GenerationRequest continuing(Answer soFar) {
    String textSoFar = soFar.text();
    Resume resume = new Resume(soFar.status().lastSeq(),
        textSoFar.getBytes(StandardCharsets.UTF_8).length + soFar.reasoning().getBytes(StandardCharsets.UTF_8).length,
        textSoFar);
    List<ChatMessage> turns = new ArrayList<>(messages);
    int n = turns.size();
    if (n >= 2 && turns.get(n - 1).role().equals("user") && turns.get(n - 1).content().equals(CONTINUE_INSTRUCTION)
        && turns.get(n - 2).role().equals("assistant")) {
      turns.subList(n - 2, n).clear();
    }
    if (!textSoFar.isEmpty()) {
      turns.add(new ChatMessage("assistant", textSoFar));
      turns.add(new ChatMessage("user", CONTINUE_INSTRUCTION));
    }
    return new GenerationRequest(info, turns, maxTokens, "", resume);
  }
}
