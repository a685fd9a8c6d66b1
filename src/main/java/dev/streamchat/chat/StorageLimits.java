package dev.streamchat.chat;

/**
 * How much one session may keep: conversations, messages in one conversation, and bytes of
 * message text over all its conversations. Reaching one is a 409 that says which.
 */
public record StorageLimits(int conversations, int messagesPerConversation, long storedBytes) {
}
