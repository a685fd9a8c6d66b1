package dev.streamchat.stream;

/** What a pipeline stage may do to the model's stream of one generation. */
public interface Upstream {

  /** Stops the model: it sends nothing more of substance. */
  void cancel();
}
