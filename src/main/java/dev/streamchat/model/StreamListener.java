package dev.streamchat.model;

/**
 * Receives a model's answer as it streams: text and reasoning as they come, then exactly one
 * end, {@link #onComplete} or {@link #onFailure}. The pipeline of a generation is a chain of these.
 */
public interface StreamListener {

  void onText(String text);

  /** Reasoning ("thinking") text, kept apart from the answer. */
  void onReasoning(String text);

  /** The answer is complete: why it ended, and the token counts the model reported. */
  void onComplete(FinishReason reason, Usage usage);

  /** The answer failed; the failure's message is short and fit to show a person. */
  void onFailure(Failure failure);

  /**
   * Filters only (pipeline stages): the characters held back before this listener changed to
   * {@code chars}. Never the text itself; a stage passes on the sum with what it holds.
   */
  default void onHeld(int chars) {
  }
}
