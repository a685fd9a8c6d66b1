package dev.streamchat.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A JSON answer parsed as it arrives, on Jackson's non-blocking parser: each chunk's bytes are
 * fed once and parsed once (total work linear in the answer). The value so far shows a string in
 * progress as its prefix, a number or literal only once complete, a key once its value has begun
 * (for a number or literal: once that is complete), arrays with their completed elements plus the
 * one in progress. Jackson gives no token for a string until it is closed, so the prefix of one
 * in progress is decoded here, incrementally, from the bytes after Jackson's last token.
 *
 * <p>Not thread-safe: one stream feeds it in order.
 */
public final class PartialJson {

  private static final JsonFactory FACTORY = new JsonFactory();
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_WHAT_CHARS = 200;

  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  /** Every byte fed: the tail after Jackson's last token is scanned here; errors count characters in it. */
  private byte[] bytes = new byte[1024];
  private int length;
  /** A high surrogate that ended a chunk, kept until its pair comes (UTF-8 encodes the pair as one). */
  private char pendingHigh;

  private final Deque<Container> open = new ArrayDeque<>();
  private JsonNode root;
  private boolean rootComplete;
  private boolean anyInput;
  private String error;
  private boolean changed;
  private boolean finished;

  /** Byte offset just after the last token Jackson gave: the string in progress, if any, is after it. */
  private long tokenEnd;
  private long scanFrom = -1;
  private int scanAt;
  private Scan scan = Scan.BETWEEN;
  private final StringBuilder inProgress = new StringBuilder();

  private enum Scan { BETWEEN, STRING, OTHER }

  /** An open object or array; an object remembers the key whose value comes next. */
  private static final class Container {
    final JsonNode node;
    String key;
    /** Index of the element shown for a string in progress (arrays), or -1. */
    int provisional = -1;

    Container(JsonNode node) {
      this.node = node;
    }
  }

  public PartialJson() {
    try {
      parser = FACTORY.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
  }

  /** Takes the next chunk of the answer's text. */
  public void feed(String chunk) {
    if (finished || error != null || chunk.isEmpty()) return;
    String text = pendingHigh != 0 ? pendingHigh + chunk : chunk;
    pendingHigh = 0;
    if (Character.isHighSurrogate(text.charAt(text.length() - 1))) {
      pendingHigh = text.charAt(text.length() - 1);
      text = text.substring(0, text.length() - 1);
      if (text.isEmpty()) return;
    }
    anyInput |= !text.isBlank();
    feedBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private void feedBytes(byte[] utf8) {
    int start = length;
    append(utf8);
    try {
      feeder.feedInput(bytes, start, length);
      drain();
    } catch (JsonProcessingException e) {
      fail(e);
      return;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    scanTail();
  }

  /** The answer ended: the value is complete, or {@link #error()} says why it is not. */
  public void finish() {
    if (finished) return;
    if (pendingHigh != 0 && error == null) {
      // A high surrogate whose pair never came is no character: fed as UTF-8 encodes it ('?').
      feedBytes(String.valueOf(pendingHigh).getBytes(StandardCharsets.UTF_8));
    }
    pendingHigh = 0;
    finished = true;
    if (error != null) return;
    feeder.endOfInput();
    try {
      drain();
    } catch (JsonProcessingException e) {
      fail(e);
      return;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!anyInput) {
      error = "The answer is not valid JSON: it is empty";
    } else if (!rootComplete) {
      error = endsEarly();
    }
  }

  private String endsEarly() {
    return "The answer is not valid JSON: it ends before the value is complete (at character "
        + (characters(length) + 1) + ")";
  }

  /** Why the answer is not JSON ("The answer is not valid JSON: ..."), or null. */
  public String error() {
    return error;
  }

  /** The whole value, once {@link #finish()} found it complete; else null. */
  public JsonNode result() {
    return finished && error == null ? root : null;
  }

  /** True when the value so far changed since {@link #valueJson()} was last asked. */
  public boolean changed() {
    return changed;
  }

  /** The value so far as JSON text ({@code null} before anything can be shown). */
  public String valueJson() {
    changed = false;
    showInProgress();
    try {
      return MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed value always serialises", e);
    }
  }

  private void drain() throws IOException {
    JsonToken token;
    while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
      if (rootComplete) {
        throw new JsonParseException(parser,
            "more content after the JSON value", parser.currentTokenLocation());
      }
      take(token);
      tokenEnd = parser.currentLocation().getByteOffset();
    }
  }

  private void take(JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT -> open.push(new Container(place(NODES.objectNode())));
      case START_ARRAY -> open.push(new Container(place(NODES.arrayNode())));
      case END_OBJECT, END_ARRAY -> {
        open.pop();
        if (open.isEmpty()) rootComplete = true;
      }
      case FIELD_NAME -> open.peek().key = parser.currentName();
      case VALUE_STRING -> place(TextNode.valueOf(parser.getText()));
      case VALUE_NUMBER_INT -> place(switch (parser.getNumberType()) {
        case INT -> NODES.numberNode(parser.getIntValue());
        case LONG -> NODES.numberNode(parser.getLongValue());
        default -> NODES.numberNode(parser.getBigIntegerValue());
      });
      case VALUE_NUMBER_FLOAT -> place(NODES.numberNode(parser.getDoubleValue()));
      case VALUE_TRUE -> place(NODES.booleanNode(true));
      case VALUE_FALSE -> place(NODES.booleanNode(false));
      case VALUE_NULL -> place(NODES.nullNode());
      default -> throw new IllegalStateException("unexpected token " + token);
    }
  }

  /** Puts a value where the next one goes (replacing a string shown in progress there). */
  private JsonNode place(JsonNode value) {
    Container parent = open.peek();
    JsonNode replaced;
    if (parent == null) {
      replaced = root;
      root = value;
      if (!value.isContainerNode()) rootComplete = true;
    } else if (parent.node instanceof ObjectNode object) {
      replaced = object.replace(parent.key, value);
      parent.key = null;
    } else {
      ArrayNode array = (ArrayNode) parent.node;
      replaced = parent.provisional >= 0 ? array.set(parent.provisional, value) : null;
      if (parent.provisional < 0) array.add(value);
      parent.provisional = -1;
    }
    // A string shown in progress that is now closed looks the same: no change to tell.
    changed |= !value.equals(replaced);
    return value;
  }

  /**
   * Decodes the string in progress after Jackson's last token, continuing where the last scan
   * stopped: each byte of the tail is looked at once while that token lasts.
   */
  private void scanTail() {
    if (rootComplete) return;
    if (scanFrom != tokenEnd) {
      scanFrom = tokenEnd;
      scanAt = (int) tokenEnd;
      scan = Scan.BETWEEN;
      inProgress.setLength(0);
    }
    while (scanAt < length && scan != Scan.OTHER) {
      int b = bytes[scanAt] & 0xff;
      if (scan == Scan.BETWEEN) {
        if (b == '"') {
          scan = Scan.STRING;
          if (showsString()) changed = true; // the key appears as soon as its value begins
        } else if (b != ' ' && b != '\n' && b != '\r' && b != '\t' && b != ',' && b != ':') {
          scan = Scan.OTHER; // a number or literal: shown once complete
        }
        scanAt++;
      } else {
        int used = b == '\\' ? escape() : b == '"' ? -1 : codePoint(b);
        if (used == 0) return; // an escape cut by the chunk's end: wait for the rest
        if (used < 0) {
          scan = Scan.OTHER;
          return;
        }
        scanAt += used;
        boolean pairPending = Character.isHighSurrogate(inProgress.charAt(inProgress.length() - 1));
        if (showsString() && !pairPending) changed = true;
      }
    }
  }

  /** Decodes the escape at {@link #scanAt}; bytes used, or 0 when it is not all there yet. */
  private int escape() {
    if (scanAt + 1 >= length) return 0;
    int c = bytes[scanAt + 1];
    if (c != 'u') {
      inProgress.append(switch (c) {
        case 'b' -> '\b';
        case 'f' -> '\f';
        case 'n' -> '\n';
        case 'r' -> '\r';
        case 't' -> '\t';
        default -> (char) c; // \" \\ \/ (anything else Jackson will refuse)
      });
      return 2;
    }
    if (scanAt + 6 > length) return 0;
    try {
      inProgress.append((char) Integer.parseInt(new String(bytes, scanAt + 2, 4, StandardCharsets.US_ASCII), 16));
    } catch (NumberFormatException e) {
      return -1; // Jackson refuses it too
    }
    return 6;
  }

  /** Decodes one UTF-8 sequence (chunks end on whole characters); bytes used. */
  private int codePoint(int lead) {
    int n = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (scanAt + n > length) return 0;
    inProgress.append(new String(bytes, scanAt, n, StandardCharsets.UTF_8));
    return n;
  }

  /** Whether a string starting now is a value (shown) rather than a key (shown once its value begins). */
  private boolean showsString() {
    Container parent = open.peek();
    return parent == null || !(parent.node instanceof ObjectNode) || parent.key != null;
  }

  /** Puts the string in progress, as far as it goes, where it will be. */
  private void showInProgress() {
    if (scan != Scan.STRING || !showsString() || rootComplete || error != null) return;
    int end = inProgress.length();
    if (end > 0 && Character.isHighSurrogate(inProgress.charAt(end - 1))) end--; // its pair is still to come
    TextNode prefix = TextNode.valueOf(inProgress.substring(0, end));
    Container parent = open.peek();
    if (parent == null) {
      root = prefix;
    } else if (parent.node instanceof ObjectNode object) {
      object.set(parent.key, prefix);
    } else {
      ArrayNode array = (ArrayNode) parent.node;
      if (parent.provisional < 0) {
        array.add(prefix);
        parent.provisional = array.size() - 1;
      } else {
        array.set(parent.provisional, prefix);
      }
    }
  }

  private void fail(JsonProcessingException e) {
    if (e instanceof JsonEOFException) {
      error = endsEarly();
      return;
    }
    long at = e.getLocation() != null ? e.getLocation().getByteOffset() : -1;
    String what = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage().lines().findFirst().orElse("");
    if (what.length() > MAX_WHAT_CHARS) what = what.substring(0, MAX_WHAT_CHARS) + "…";
    error = "The answer is not valid JSON: " + what
        + (at >= 0 ? " (at character " + (characters((int) Math.min(at, length)) + 1) + ")" : "");
  }

  /** Characters (code points) in the first {@code byteCount} bytes fed. */
  private int characters(int byteCount) {
    int n = 0;
    for (int i = 0; i < byteCount; i++) if ((bytes[i] & 0xc0) != 0x80) n++;
    return n;
  }

  private void append(byte[] more) {
    if (length + more.length > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more.length));
    }
    System.arraycopy(more, 0, bytes, length, more.length);
    length += more.length;
  }
}
