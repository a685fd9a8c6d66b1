package dev.streamchat.chat;

import dev.streamchat.model.ResponseFormat;

/**
 * One turn of a conversation. An assistant message is tied to the generation that writes it;
 * its content and state are final once the generation ends. An answer asked for as JSON keeps the
 * shape it was asked for ({@code responseFormat}; null for free text and for the person's messages).
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
    long createdAt,
    ResponseFormat responseFormat) {

  public boolean isAssistant() {
    return role.equals("assistant");
  }
}
