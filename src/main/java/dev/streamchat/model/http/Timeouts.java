package dev.streamchat.model.http;

/**
 * How long an HTTP provider waits: to connect, from the request to the first token, and for
 * silence between parts of the stream once it flows.
 */
public record Timeouts(int connectMs, int firstTokenMs, int idleMs) {

  public static final int DEFAULT_CONNECT_MS = 10_000;
  public static final int DEFAULT_FIRST_TOKEN_MS = 120_000;
  public static final int DEFAULT_IDLE_MS = 60_000;

  public static Timeouts defaults() {
    return new Timeouts(DEFAULT_CONNECT_MS, DEFAULT_FIRST_TOKEN_MS, DEFAULT_IDLE_MS);
  }
}
