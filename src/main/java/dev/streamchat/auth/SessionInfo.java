package dev.streamchat.auth;

/** A signed-in browser, as the account page lists it. {@code idHash} is the SHA-256 of its cookie. */
public record SessionInfo(String idHash, long createdAt, long lastSeenAt, String userAgent, String address) {
}
