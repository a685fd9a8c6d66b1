package dev.streamchat.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.streamchat.model.ResponseFormat;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a request's {@code "responseFormat"}: {@code {"type": "json_object"}} or
 * {@code {"type": "json_schema", "schema": {...}, "name"?: "...", "strict"?: true}}. Anything else,
 * and a schema that is not one, is an {@link IllegalArgumentException} whose message is fit for a 400.
 */
public final class RequestedFormat {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<String> KEYS = Set.of("type", "schema", "name", "strict");

  private RequestedFormat() {
  }

  /** The format asked for; null when the request has none (or {@code null}). */
  public static ResponseFormat read(Object value) {
    if (value == null) return null;
    if (!(value instanceof JsonObject o)) throw bad("must be an object such as {\"type\": \"json_object\"}");
    for (String key : o.fieldNames()) if (!KEYS.contains(key)) throw bad("has an unknown field '" + clip(key) + "'");
    Object type = o.getValue("type");
    if ("json_object".equals(type)) {
      if (o.containsKey("schema")) throw bad("json_object takes no schema; use json_schema");
      return ResponseFormat.jsonObject();
    }
    if (!"json_schema".equals(type)) throw bad("type must be \"json_object\" or \"json_schema\"");
    if (!(o.getValue("schema") instanceof JsonObject schema)) throw bad("json_schema needs a \"schema\" object");
    Object name = o.getValue("name");
    if (name != null && !(name instanceof String n && NAME.matcher(n).matches())) {
      throw bad("name must be 1 to 64 letters, digits, _ or -");
    }
    Object strict = o.getValue("strict");
    if (strict != null && !(strict instanceof Boolean)) throw bad("strict must be true or false");
    try {
      AnswerSchema.read(PartialJson.MAPPER.readTree(schema.encode()));
    } catch (JsonProcessingException e) {
      throw bad("the schema is not JSON");
    }
    return ResponseFormat.jsonSchema(schema, (String) name, (Boolean) strict);
  }

  /** The schema of a format, read for checking answers; null when any JSON value will do. */
  public static AnswerSchema schemaOf(ResponseFormat format) {
    if (format.schema() == null) return null;
    try {
      return AnswerSchema.read(PartialJson.MAPPER.readTree(format.schema().encode()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored schema is JSON", e);
    }
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("responseFormat " + why + ".");
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
