package dev.streamchat.model.http;

import dev.streamchat.model.Failure;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Short human messages for what goes wrong upstream. They name the status and the host, never a
 * header or a response body: a body may echo the API key back.
 */
public final class UpstreamErrors {

  private UpstreamErrors() {
  }

  /** The failure for a non-2xx answer to a stream request. */
  public static Failure forStatus(int status, String retryAfter, String model) {
    if (status == 401 || status == 403) {
      return Failure.of(Failure.Kind.REFUSED, "The model server refused the API key (HTTP " + status + ").");
    }
    if (status == 404) {
      return Failure.of(Failure.Kind.REFUSED, "The model server does not know the model '" + model + "' (HTTP 404).");
    }
    Long wait = retryAfterSeconds(retryAfter);
    Duration after = wait == null ? null : Duration.ofSeconds(wait);
    if (status == 429) {
      return new Failure(Failure.Kind.RATE_LIMITED, "The model server is busy: " + rateLimited(retryAfter) + ".", after);
    }
    if (status == 529) {
      return new Failure(Failure.Kind.RATE_LIMITED, "The model server is overloaded (HTTP 529). Try again later.", after);
    }
    if (status >= 500) {
      return new Failure(Failure.Kind.REFUSED, "The model server failed (HTTP " + status + "). Try again later.", after);
    }
    return Failure.of(Failure.Kind.REFUSED, "The model server rejected the request (HTTP " + status + ").");
  }

  /** "rate limited, retry in N s" from a Retry-After header (seconds or an HTTP date). */
  static String rateLimited(String retryAfter) {
    Long seconds = retryAfterSeconds(retryAfter);
    return seconds == null ? "rate limited, retry later" : "rate limited, retry in " + seconds + " s";
  }

  static Long retryAfterSeconds(String value) {
    if (value == null || value.isBlank()) return null;
    String v = value.strip();
    try {
      return Math.max(0, (long) Math.ceil(Double.parseDouble(v)));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        return Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toSeconds());
      } catch (DateTimeParseException notDate) {
        return null;
      }
    }
  }

  /** The failure of a request that got no answer at all. */
  public static Failure forConnection(Throwable cause, String hostAndPort) {
    return Failure.of(Failure.Kind.CONNECTION, connectionMessage(cause, hostAndPort));
  }

  private static String connectionMessage(Throwable cause, String hostAndPort) {
    Throwable t = cause;
    while (t.getCause() != null && t.getCause() != t) {
      if (t instanceof ConnectException || t instanceof UnknownHostException) break;
      t = t.getCause();
    }
    if (t instanceof ConnectTimeoutException) {
      return "Could not connect to the model server at " + hostAndPort + " (timed out).";
    }
    if (t instanceof UnknownHostException) {
      return "Could not connect to the model server: unknown host " + hostAndPort + ".";
    }
    if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
      return "Could not connect to the model server at " + hostAndPort + " (connection refused).";
    }
    return "Lost the connection to the model server at " + hostAndPort + ".";
  }

  /** An error the server reported inside its stream; its text is clipped and stripped of secrets. */
  public static StreamFailure reported(String type, String message, Redactor redactor) {
    return new StreamFailure(Failure.of(Failure.Kind.MODEL, reportedMessage(type, message, redactor)));
  }

  private static String reportedMessage(String type, String message, Redactor redactor) {
    String detail = message == null || message.isBlank() ? type : message;
    if (detail == null || detail.isBlank()) detail = "unknown error";
    detail = redactor.redact(detail.strip().replaceAll("\\s+", " "));
    if (detail.length() > 200) detail = detail.substring(0, 199) + "…";
    return "The model server reported an error: " + detail;
  }
}
