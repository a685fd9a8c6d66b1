package dev.streamchat.chat;

/** A request the server refuses, with the HTTP status and a message fit to show a person. */
public final class Problem extends RuntimeException {

  private final int status;
  private final int retryAfterSeconds;

  public Problem(int status, String message) {
    this(status, message, 0);
  }

  private Problem(int status, String message, int retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** A 429: the caller may try again after that many seconds (sent as {@code Retry-After}). */
  public static Problem tooMany(String message, int retryAfterSeconds) {
    return new Problem(429, message, Math.max(1, retryAfterSeconds));
  }

  /** A 503: the server cannot serve this now (its database or disk); try again after that many seconds. */
  public static Problem unavailable(String message, int retryAfterSeconds) {
    return new Problem(503, message, Math.max(1, retryAfterSeconds));
  }

  /** Seconds for {@code Retry-After}, or 0 when the answer has none. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public static Problem badRequest(String message) {
    return new Problem(400, message);
  }

  public static Problem notFound(String what) {
    return new Problem(404, what + " not found");
  }
}
