package dev.streamchat.stream;

/** What a generation is, fixed when it starts. The owner is the session that may see it. */
public record GenerationInfo(
    String id, String conversationId, String owner, String model, long startedAt) {
}
