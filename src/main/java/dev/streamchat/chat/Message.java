package dev.streamchat.chat;

/**
 * One turn of a conversation. An assistant message is tied to the generation that writes it;
 * its content and state are final once the generation ends.
 */
public record Message(
    String id,
    String conversationId,
    int seq,
    String role,
    String content,
    String reasoning,
    String generationId,
    String state,
    String error,
    String model,
    long createdAt) {

  public boolean isAssistant() {
    return role.equals("assistant");
  }
}
