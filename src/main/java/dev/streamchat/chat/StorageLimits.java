package dev.streamchat.chat;

/**
 * How much one session may keep: conversations, messages in one conversation, and bytes of
 * message text over all its conversations. Reaching one is a 409 that says which. And the disk's
 * own bound: no new answer starts while the data dir is nearly full (a 503).
 */
public record StorageLimits(int conversations, int messagesPerConversation, long storedBytes, DiskSpace disk) {
}
