package dev.streamchat.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartialJsonTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Answers as models write them: pretty and compact, escapes, unicode, nesting, every kind of value. */
  static final List<String> RECORDED = List.of(
      """
      {
        "title": "Caf\\u00e9 \\"Le Bon\\" \\\\ menu",
        "price": 12.5,
        "count": -3,
        "big": 12345678901234567890,
        "open": true,
        "closed": false,
        "owner": null,
        "tags": ["coffee", "t\\u00e9", "", "emoji 😀 \\ud83d\\ude00"],
        "items": [{"name": "espresso", "sizes": [1, 2.5e1, 3]}, {"name": "lait\\nchaud", "sizes": []}],
        "empty": {}
      }
      """,
      "[1,\"two\",[3,[4,{\"five\":5}]],null,true,\"x\\ty\"]",
      "\"a root string with a \\u00e9 and a slash \\/\"",
      "  42  ",
      "{\"nested\":{\"deeper\":{\"deepest\":[\"a\",\"b\",{\"k\":\"v\"}]}},\"after\":\"end\"}");

  @Test
  void everyPartialValueIsThePartialValueOfItsPrefixAndTheLastIsTheWhole() throws Exception {
    for (String answer : RECORDED) {
      // One character at a time reaches every position; random chunkings cut escapes and words.
      assertPrefixes(answer, oneCharChunks(answer));
      Random random = new Random(answer.length());
      for (int round = 0; round < 50; round++) assertPrefixes(answer, randomChunks(random, answer));
      for (int i = 0; i <= answer.length(); i++) {
        assertPrefixes(answer, List.of(answer.substring(0, i), answer.substring(i)));
      }
    }
  }

  @Test
  void stringsGrowNumbersWaitKeysWaitForTheirValue() throws Exception {
    PartialJson json = new PartialJson();
    json.feed("{\"na");
    assertEquals("{}", json.valueJson());
    json.feed("me\": \"Ad");
    assertEquals("{\"name\":\"Ad\"}", json.valueJson());
    json.feed("a\", \"age\": 3");
    assertEquals("{\"name\":\"Ada\"}", json.valueJson());
    assertTrue(!json.changed());
    json.feed("6, \"langs\": [\"en\", \"f");
    assertEquals("{\"name\":\"Ada\",\"age\":36,\"langs\":[\"en\",\"f\"]}", json.valueJson());
    json.feed("r\"]}");
    json.finish();
    assertNull(json.error());
    assertEquals(MAPPER.readTree("{\"name\":\"Ada\",\"age\":36,\"langs\":[\"en\",\"fr\"]}"), json.result());
  }

  @Test
  void brokenJsonSaysWhatAndAtWhichCharacter() {
    assertEquals("The answer is not valid JSON: it ends before the value is complete (at character 16)",
        errorOf("{\"a\": [1, 2, 3]"));
    assertEquals("The answer is not valid JSON: it is empty", errorOf("  \n"));
    String unexpected = errorOf("{\"é\": 1, x}");
    assertTrue(unexpected.startsWith("The answer is not valid JSON: Unexpected character ('x'"), unexpected);
    assertTrue(unexpected.endsWith("(at character 10)"), unexpected);
    String trailing = errorOf("{\"a\": 1} {\"b\": 2}");
    assertTrue(trailing.startsWith("The answer is not valid JSON: more content after the JSON value"), trailing);
    String prose = errorOf("Sure! Here is your JSON: {}");
    assertTrue(prose.startsWith("The answer is not valid JSON: Unexpected character ('S'"), prose);
    assertTrue(prose.endsWith("(at character 1)"), prose);
  }

  private static String errorOf(String answer) {
    PartialJson json = new PartialJson();
    for (String c : oneCharChunks(answer)) json.feed(c);
    json.finish();
    assertNull(json.result());
    return json.error();
  }

  private static void assertPrefixes(String answer, List<String> chunks) throws Exception {
    PartialJson json = new PartialJson();
    StringBuilder prefix = new StringBuilder();
    JsonNode previous = null;
    for (String chunk : chunks) {
      json.feed(chunk);
      prefix.append(chunk);
      boolean changed = json.changed();
      JsonNode value = MAPPER.readTree(json.valueJson());
      JsonNode expected = Oracle.partial(prefix.toString());
      assertEquals(expected, value, "after '" + prefix + "' (chunks " + chunks + ")");
      assertEquals(!value.equals(previous == null ? MAPPER.nullNode() : previous), changed,
          "changed() after '" + prefix + "'");
      previous = value;
    }
    json.finish();
    assertNull(json.error(), answer);
    assertEquals(MAPPER.readTree(answer), json.result());
  }

  static List<String> oneCharChunks(String text) {
    return text.codePoints().mapToObj(Character::toString).toList();
  }

  static List<String> randomChunks(Random random, String text) {
    java.util.ArrayList<String> chunks = new java.util.ArrayList<>();
    int at = 0;
    while (at < text.length()) {
      int n = Math.min(text.length() - at, 1 + random.nextInt(8));
      chunks.add(text.substring(at, at + n)); // may cut a surrogate pair: the parser must cope
      at += n;
    }
    return chunks;
  }

  /**
   * The partial value of a prefix, by a plain recursive descent written from the rules (an
   * independent oracle): strings as their prefix, a scalar once something follows it, a key once
   * its value has begun.
   */
  static final class Oracle {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final String s;
    private int i;

    private Oracle(String s) {
      this.s = s;
    }

    static JsonNode partial(String prefix) throws Exception {
      Part p = new Oracle(prefix).value();
      return p == null ? NODES.nullNode() : p.node;
    }

    record Part(JsonNode node, boolean complete) {
    }

    private void ws() {
      while (i < s.length() && " \n\r\t".indexOf(s.charAt(i)) >= 0) i++;
    }

    private Part value() throws Exception {
      ws();
      if (i >= s.length()) return null;
      char c = s.charAt(i);
      if (c == '{') {
        i++;
        ObjectNode o = NODES.objectNode();
        while (true) {
          ws();
          if (i >= s.length()) return new Part(o, false);
          if (s.charAt(i) == '}') {
            i++;
            return new Part(o, true);
          }
          if (s.charAt(i) == ',') {
            i++;
            continue;
          }
          Part key = string();
          if (!key.complete) return new Part(o, false);
          ws();
          if (i >= s.length()) return new Part(o, false);
          i++; // ':'
          Part v = value();
          if (v == null) return new Part(o, false);
          o.set(key.node.asText(), v.node);
          if (!v.complete) return new Part(o, false);
        }
      }
      if (c == '[') {
        i++;
        ArrayNode a = NODES.arrayNode();
        while (true) {
          ws();
          if (i >= s.length()) return new Part(a, false);
          if (s.charAt(i) == ']') {
            i++;
            return new Part(a, true);
          }
          if (s.charAt(i) == ',') {
            i++;
            continue;
          }
          Part v = value();
          if (v == null) return new Part(a, false);
          a.add(v.node);
          if (!v.complete) return new Part(a, false);
        }
      }
      if (c == '"') return string();
      int start = i;
      while (i < s.length() && "0123456789+-.eEtruefalsn".indexOf(s.charAt(i)) >= 0) i++;
      if (i >= s.length()) return null; // a scalar is complete only once something follows it
      return new Part(MAPPER.readTree(s.substring(start, i)), true);
    }

    private Part string() {
      i++; // opening quote
      StringBuilder b = new StringBuilder();
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '"') {
          i++;
          return new Part(NODES.textNode(b.toString()), true);
        }
        if (c == '\\') {
          if (i + 1 >= s.length()) break;
          char e = s.charAt(i + 1);
          if (e == 'u') {
            if (i + 6 > s.length()) break;
            b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
            i += 6;
          } else {
            b.append(switch (e) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              case 'b' -> '\b';
              case 'f' -> '\f';
              default -> e;
            });
            i += 2;
          }
        } else {
          b.append(c);
          i++;
        }
      }
      String text = b.toString();
      if (!text.isEmpty() && Character.isHighSurrogate(text.charAt(text.length() - 1))) {
        text = text.substring(0, text.length() - 1);
      }
      i = s.length();
      return new Part(NODES.textNode(text), false);
    }
  }
}
