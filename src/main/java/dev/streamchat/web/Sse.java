package dev.streamchat.web;

import io.vertx.core.http.HttpServerResponse;
import java.util.regex.Pattern;

/** The Server-Sent Events wire format. */
final class Sse {

  private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

  private Sse() {
  }

  /**
   * Makes {@code response} an event stream. It is never compressed: each event must leave at
   * once, not wait in a compressor's buffer ({@code identity} keeps Vert.x's compressor away and
   * is not sent).
   */
  static void open(HttpServerResponse response) {
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache, no-transform")
        .putHeader("X-Accel-Buffering", "no")
        .putHeader("Content-Encoding", "identity");
  }

  /** One event; every line of {@code data} becomes its own {@code data:} field. */
  static String event(String name, long id, String data) {
    StringBuilder sb = new StringBuilder(data.length() + 48);
    if (id > 0) sb.append("id: ").append(id).append('\n');
    sb.append("event: ").append(name).append('\n');
    if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) {
      sb.append("data: ").append(data).append('\n'); // one line, as every JSON event is: no regex per token
    } else {
      for (String line : LINE_BREAK.split(data, -1)) sb.append("data: ").append(line).append('\n');
    }
    return sb.append('\n').toString();
  }
}
