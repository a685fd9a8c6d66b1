package dev.streamchat.model.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads one chunk of a model's stream (an SSE event's data, an NDJSON line) with Jackson's
 * streaming parser, straight from its bytes: a provider's parser picks the few fields it needs
 * and skips the rest unread, instead of building a tree of maps and strings for every token.
 * What counts as malformed is what Vert.x's {@code new JsonObject(text)} refuses: one JSON object,
 * nothing after it, Jackson's default limits (the ones Vert.x uses).
 */
public final class ChunkJson {

  private static final JsonFactory FACTORY = new JsonFactory();

  private ChunkJson() {
  }

  /** Reads one field of an object, {@code p} on its value; skips (or reads past) the whole value. */
  @FunctionalInterface
  public interface FieldReader {
    void read(String name, JsonParser p) throws IOException;
  }

  /**
   * Reads the chunk's top-level object field by field; a chunk that is not one well-formed JSON
   * object (and nothing after it) is a {@link StreamFailure#malformed() malformed} one.
   */
  public static void read(byte[] data, int offset, int length, FieldReader fields) {
    try (JsonParser p = open(data, offset, length)) {
      for (String field; (field = nextField(p)) != null; ) fields.read(field, p);
      if (p.nextToken() != null) throw StreamFailure.malformed();
    } catch (IOException e) {
      throw StreamFailure.malformed();
    }
  }

  /**
   * A parser over the chunk, positioned on its opening brace; anything but an object throws.
   * Bytes that are not UTF-8 are read as the text they decode to (each bad sequence a U+FFFD), as
   * the chunk's text was read before: Jackson alone would refuse them.
   */
  private static JsonParser open(byte[] data, int offset, int length) throws IOException {
    JsonParser p = wellFormedUtf8(data, offset, length) ? FACTORY.createParser(data, offset, length)
        : FACTORY.createParser(new String(data, offset, length, StandardCharsets.UTF_8));
    if (p.nextToken() != JsonToken.START_OBJECT) {
      p.close();
      throw StreamFailure.malformed();
    }
    return p;
  }

  /** The next field of the object {@code p} is in, or null at its end; {@code p} is then on the field's value. */
  public static String nextField(JsonParser p) throws IOException {
    String name = p.nextFieldName();
    if (name != null) p.nextToken();
    return name;
  }

  /** The value {@code p} is on as a string, or null (and skipped) when it is anything else. */
  public static String string(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) return p.getText();
    p.skipChildren();
    return null;
  }

  /** The value {@code p} is on as a whole number (a JSON number cut to a long), or {@code fallback} when it is no number. */
  public static long number(JsonParser p, long fallback) throws IOException {
    if (p.currentToken().isNumeric()) return p.getNumberValue().longValue();
    p.skipChildren();
    return fallback;
  }

  /** The value {@code p} is on is an object: true. Anything else is skipped: false. */
  public static boolean isObject(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.START_OBJECT) return true;
    p.skipChildren();
    return false;
  }

  /**
   * A field of the chunk as text the way the tree of maps printed it, for the rare values (an
   * error given as a number or a list) where only the tree's own printing says it exactly.
   */
  public static String printed(byte[] data, int offset, int length, String field) {
    return String.valueOf(StreamFailure.parseObject(new String(data, offset, length, StandardCharsets.UTF_8)).getValue(field));
  }

  private static boolean wellFormedUtf8(byte[] data, int offset, int length) {
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      if (data[i] < 0) return ByteBufUtil.isText(Unpooled.wrappedBuffer(data, i, end - i), StandardCharsets.UTF_8);
    }
    return true;
  }
}
