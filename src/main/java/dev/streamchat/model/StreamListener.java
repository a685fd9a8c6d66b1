package dev.streamchat.model;

/** Receives a model's answer as it streams. */
public interface StreamListener {

  void onText(String text);

  /** Reasoning ("thinking") text, kept apart from the answer. */
  void onReasoning(String text);

  /** Token counts as the model reports them. */
  void onUsage(long promptTokens, long completionTokens);

  void onComplete();

  /** The generation failed; {@code message} is short and fit to show a person. */
  void onError(String message);
}
