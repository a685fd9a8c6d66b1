package dev.streamchat.model;

/** One turn sent to a model: role is {@code system}, {@code user} or {@code assistant}. */
public record ChatMessage(String role, String content) {
}
