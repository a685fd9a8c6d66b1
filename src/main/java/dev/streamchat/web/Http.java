package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

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
    String type = String.valueOf(ctx.request().getHeader("Content-Type")).toLowerCase(java.util.Locale.ROOT);
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
      throw new Problem(415, "The API takes JSON: send Content-Type: application/json.");
    }
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) return new JsonObject();
    String text = utf8(body).strip();
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

  /**
   * The bytes as UTF-8, whatever charset the Content-Type names (JSON is UTF-8, RFC 8259; an
   * unknown charset name made Vert.x throw); bytes that are not UTF-8 are a 400.
   */
  private static String utf8(Buffer body) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body.getBytes())).toString();
    } catch (CharacterCodingException e) {
      throw Problem.badRequest("The body is not valid UTF-8.");
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
    // The routing context's query map, not the request's: the request lives as long as the stream.
    List<String> after = ctx.queryParam("after");
    long query = parseCursor(after.isEmpty() ? null : after.get(0), "after");
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
