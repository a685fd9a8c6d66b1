package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Small helpers shared by the handlers: reading input, writing JSON, reading the cursor. */
final class Http {

  static final String JSON = "application/json";

  private Http() {
  }

  static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON)
        .end(body instanceof JsonObject o ? o.encode() : io.vertx.core.json.Json.encode(body));
  }

  /** The request's JSON object; an empty body counts as {}. Anything else is a 400. */
  static JsonObject jsonBody(RoutingContext ctx) {
    var body = ctx.body();
    if (body == null || body.length() == 0) return new JsonObject();
    String text = body.asString().strip();
    if (text.isEmpty()) return new JsonObject();
    try {
      if (!text.startsWith("{")) {
        io.vertx.core.json.Json.decodeValue(text);
        throw Problem.badRequest("The body must be a JSON object.");
      }
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw Problem.badRequest("The body is not valid JSON.");
    }
  }

  /** A string field, or null when absent; any other type is a 400. */
  static String string(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v == null || v instanceof String) return (String) v;
    throw Problem.badRequest(field + " must be a string.");
  }

  /** A whole-number field, or null when absent; any other type is a 400. */
  static Integer integer(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v == null) return null;
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
        && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    throw Problem.badRequest(field + " must be a whole number.");
  }

  /**
   * Where a stream resumes: after the larger of {@code Last-Event-ID} (the browser's own
   * reconnect) and {@code ?after=} (clients that keep the cursor in the URL). Nonsense is a 400.
   */
  static long cursor(RoutingContext ctx) {
    long header = parseCursor(ctx.request().getHeader("Last-Event-ID"), "Last-Event-ID");
    long query = parseCursor(ctx.request().getParam("after"), "after");
    return Math.max(header, query);
  }

  private static long parseCursor(String raw, String name) {
    if (raw == null || raw.isBlank()) return 0;
    try {
      long n = Long.parseLong(raw.strip());
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw Problem.badRequest(name + " must be a chunk number (0 or more).");
    }
  }
}
