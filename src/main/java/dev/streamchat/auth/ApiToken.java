package dev.streamchat.auth;

/** A personal API token as listed (never its secret, which is shown once and stored hashed). */
public record ApiToken(String id, String name, long createdAt, Long lastUsedAt) {
}
