package dev.streamchat.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.math.RoundingMode;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A value that follows a JSON Schema, made up deterministically (what the demo model answers a
 * JSON request with). Covers the keywords answers are usually described with: type, properties,
 * required, items/prefixItems, enum/const, local $ref, allOf/anyOf/oneOf, string lengths and
 * formats, numeric bounds and multipleOf. A {@code pattern} is met only when one of a few
 * candidates happens to match it.
 */
public final class SampleInstance {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_DEPTH = 16;
  /** Values made at most: a schema whose references branch would otherwise grow without bound. */
  private static final int MAX_VALUES = 2_000;
  private static final String[] PATTERN_CANDIDATES = {"example", "12345", "ABC", "a1", "2026-01-01", "x"};

  private final JsonNode root;
  private int made;

  private SampleInstance(JsonNode root) {
    this.root = root;
  }

  /** An instance of the schema (a schema with no requirements gets an object). */
  public static JsonNode of(JsonNode schema) {
    return new SampleInstance(schema).sample(schema, "answer", 0);
  }

  private JsonNode sample(JsonNode schema, String name, int depth) {
    if (schema == null || schema.isBoolean() || depth > MAX_DEPTH || ++made > MAX_VALUES) return NODES.objectNode();
    if (schema.has("$ref")) return sample(resolve(schema.get("$ref").asText()), name, depth + 1);
    if (schema.has("const")) return schema.get("const");
    if (schema.has("enum") && schema.get("enum").size() > 0) return schema.get("enum").get(0);
    if (schema.has("allOf")) return sample(merged(schema), name, depth + 1);
    for (String choice : new String[] {"anyOf", "oneOf"}) {
      if (schema.has(choice) && schema.get(choice).size() > 0) return sample(schema.get(choice).get(0), name, depth + 1);
    }
    return switch (type(schema)) {
      case "object" -> object(schema, depth);
      case "array" -> array(schema, name, depth);
      case "string" -> string(schema, name);
      case "integer" -> NODES.numberNode(number(schema, true).toBigInteger());
      case "number" -> NODES.numberNode(number(schema, false).doubleValue());
      case "boolean" -> NODES.booleanNode(true);
      case "null" -> NODES.nullNode();
      default -> NODES.objectNode();
    };
  }

  private static String type(JsonNode schema) {
    JsonNode type = schema.get("type");
    if (type != null && type.isTextual()) return type.asText();
    if (type != null && type.isArray()) {
      for (JsonNode t : type) if (!t.asText().equals("null")) return t.asText();
      return "null";
    }
    if (schema.has("properties") || schema.has("required")) return "object";
    if (schema.has("items") || schema.has("prefixItems")) return "array";
    if (schema.has("minLength") || schema.has("maxLength") || schema.has("pattern") || schema.has("format")) return "string";
    if (schema.has("minimum") || schema.has("maximum") || schema.has("multipleOf")) return "number";
    return "object";
  }

  private JsonNode object(JsonNode schema, int depth) {
    ObjectNode out = NODES.objectNode();
    JsonNode properties = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      out.set(p.getKey(), sample(p.getValue(), p.getKey(), depth + 1));
    }
    for (JsonNode required : schema.path("required")) {
      if (!out.has(required.asText())) {
        JsonNode extra = schema.path("additionalProperties");
        out.set(required.asText(), extra.isObject() ? sample(extra, required.asText(), depth + 1) : NODES.textNode("example"));
      }
    }
    return out;
  }

  private JsonNode array(JsonNode schema, String name, int depth) {
    ArrayNode out = NODES.arrayNode();
    for (JsonNode item : schema.path("prefixItems")) out.add(sample(item, name, depth + 1));
    JsonNode items = schema.get("items");
    if (items != null && items.isArray()) { // draft-04..07 tuple form
      for (JsonNode item : items) out.add(sample(item, name, depth + 1));
      items = null;
    }
    int min = schema.path("minItems").asInt(0);
    int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : Integer.MAX_VALUE;
    int want = Math.min(max, Math.max(min, out.size() + (items != null && !items.isBoolean() ? 2 : 0)));
    boolean unique = schema.path("uniqueItems").asBoolean(false);
    for (int i = out.size(); i < want; i++) {
      JsonNode item = sample(items, name, depth + 1);
      if (unique) item = varied(item, i);
      out.add(item);
    }
    return out;
  }

  /** The i-th of several items that must differ: strings and numbers get the index worked in. */
  private static JsonNode varied(JsonNode item, int i) {
    if (item.isTextual()) return NODES.textNode(item.asText() + " " + (i + 1));
    if (item.isIntegralNumber()) return NODES.numberNode(item.bigIntegerValue().add(BigInteger.valueOf(i)));
    if (item.isNumber()) return NODES.numberNode(item.doubleValue() + i);
    return item;
  }

  private static JsonNode string(JsonNode schema, String name) {
    String text = switch (schema.path("format").asText("")) {
      case "date-time" -> "2026-01-01T12:00:00Z";
      case "date" -> "2026-01-01";
      case "time" -> "12:00:00Z";
      case "email" -> "ada@example.com";
      case "uri", "url", "iri" -> "https://example.com/";
      case "uuid" -> "123e4567-e89b-12d3-a456-426614174000";
      case "hostname" -> "example.com";
      case "ipv4" -> "192.0.2.1";
      case "ipv6" -> "2001:db8::1";
      default -> "example " + name;
    };
    if (schema.has("pattern")) {
      try {
        Pattern p = Pattern.compile(schema.get("pattern").asText());
        for (String candidate : PATTERN_CANDIDATES) {
          if (p.matcher(candidate).find()) {
            text = candidate;
            break;
          }
        }
      } catch (PatternSyntaxException e) {
        // an ECMA-only construct: the sample stays as it is
      }
    }
    int min = schema.path("minLength").asInt(0);
    int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
    StringBuilder b = new StringBuilder(text);
    while (b.codePointCount(0, b.length()) < min) b.append('x');
    if (b.codePointCount(0, b.length()) > max) return NODES.textNode(b.substring(0, b.offsetByCodePoints(0, max)));
    return NODES.textNode(b.toString());
  }

  /** 1 (or 1.5), moved into [minimum, maximum] and onto a multiple of multipleOf. */
  private static BigDecimal number(JsonNode schema, boolean integer) {
    BigDecimal low = bound(schema, "minimum", "exclusiveMinimum", integer, true);
    BigDecimal high = bound(schema, "maximum", "exclusiveMaximum", integer, false);
    BigDecimal value = integer ? BigDecimal.ONE : new BigDecimal("1.5");
    if (low != null && value.compareTo(low) < 0) value = low;
    if (high != null && value.compareTo(high) > 0) value = high;
    if (schema.has("multipleOf") && schema.get("multipleOf").decimalValue().signum() > 0) {
      BigDecimal step = schema.get("multipleOf").decimalValue();
      BigDecimal n = value.divide(step, 0, RoundingMode.CEILING);
      value = n.multiply(step);
      if (high != null && value.compareTo(high) > 0) value = value.subtract(step);
    }
    return integer ? value.setScale(0, RoundingMode.CEILING) : value;
  }

  /** A bound, made inclusive; exclusive bounds are numbers (2019-09+) or flags on the plain one (draft-04). */
  private static BigDecimal bound(JsonNode schema, String plain, String exclusive, boolean integer, boolean lower) {
    BigDecimal step = integer ? BigDecimal.ONE : new BigDecimal("0.5");
    if (schema.path(exclusive).isNumber()) {
      BigDecimal b = schema.get(exclusive).decimalValue();
      return lower ? b.add(step) : b.subtract(step);
    }
    if (!schema.path(plain).isNumber()) return null;
    BigDecimal b = schema.get(plain).decimalValue();
    if (schema.path(exclusive).asBoolean(false)) return lower ? b.add(step) : b.subtract(step);
    return b;
  }

  /** allOf folded into one schema: properties and required joined, the first type and bounds kept. */
  private JsonNode merged(JsonNode schema) {
    ObjectNode out = schema.deepCopy();
    out.remove("allOf");
    ObjectNode properties = out.has("properties") ? (ObjectNode) out.get("properties") : NODES.objectNode();
    Set<String> required = new LinkedHashSet<>();
    out.path("required").forEach(r -> required.add(r.asText()));
    for (JsonNode part : schema.get("allOf")) {
      JsonNode p = part.has("$ref") ? resolve(part.get("$ref").asText()) : part;
      p.path("properties").fields().forEachRemaining(e -> properties.set(e.getKey(), e.getValue()));
      p.path("required").forEach(r -> required.add(r.asText()));
      p.fields().forEachRemaining(e -> {
        if (!out.has(e.getKey()) && !e.getKey().equals("properties") && !e.getKey().equals("required")) {
          out.set(e.getKey(), e.getValue());
        }
      });
    }
    if (!properties.isEmpty()) out.set("properties", properties);
    if (!required.isEmpty()) out.set("required", NODES.arrayNode().addAll(required.stream().map(NODES::textNode).toList()));
    return out;
  }

  /** A local reference: {@code #} or a JSON pointer after it. */
  private JsonNode resolve(String ref) {
    String pointer = URLDecoder.decode(ref.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
    JsonNode target = pointer.isEmpty() ? root : root.at(pointer);
    return target.isMissingNode() ? null : target;
  }
}
