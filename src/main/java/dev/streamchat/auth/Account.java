package dev.streamchat.auth;

/**
 * A person with an account. {@code owner} is the id their conversations and generations are
 * kept under: every route scopes data by it, so all their devices see the same things.
 */
public record Account(String id, String username, String owner, boolean disabled, long createdAt, long lastSeenAt) {

  /** The owner id of an account: distinct from anonymous owners, which are 64 hex digits. */
  static String ownerOf(String userId) {
    return "user:" + userId;
  }
}
