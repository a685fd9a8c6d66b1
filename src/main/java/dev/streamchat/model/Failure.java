package dev.streamchat.model;

import java.time.Duration;

/**
 * Why an answer failed.
 *
 * @param kind what went wrong, for metrics, retries and status codes
 * @param message short, fit to show a person: never a stack trace or a response body
 * @param retryAfter how long the model server asked to wait, or null
 */
public record Failure(Kind kind, String message, Duration retryAfter) {

  public enum Kind {
    /** The model server could not be reached, or the connection dropped. */
    CONNECTION,
    /** The model server answered with an error status. */
    REFUSED,
    /** The model server asked to slow down (HTTP 429); see {@code retryAfter}. */
    RATE_LIMITED,
    /** The model did not start, or went silent, within its time. */
    TIMEOUT,
    /** The model server sent something that is not its protocol. */
    MALFORMED,
    /** The model server reported an error inside its stream, or ended it early. */
    MODEL,
    /** The answer could not be stored (our disk, not the model). */
    STORAGE,
    /** A filter of this server withheld the answer. */
    FILTERED,
    /** Anything else in this server. */
    INTERNAL
  }

  public static Failure of(Kind kind, String message) {
    return new Failure(kind, message, null);
  }
}
