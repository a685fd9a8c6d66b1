package dev.streamchat.chat;

/** A conversation, owned by one session. */
public record Conversation(String id, String owner, String title, String model, long createdAt, long updatedAt) {
}
