package dev.streamchat.stream;

import dev.streamchat.model.ResponseFormat;

/**
 * What a generation is, fixed when it starts. The owner is the session that may see it;
 * {@code responseFormat} is the shape its answer must have (null: free text).
 */
public record GenerationInfo(
    String id, String conversationId, String owner, String model, long startedAt, ResponseFormat responseFormat) {

  /** A free-text answer. */
  public GenerationInfo(String id, String conversationId, String owner, String model, long startedAt) {
    this(id, conversationId, owner, model, startedAt, null);
  }
}
