package dev.streamchat.model;

import io.vertx.core.json.JsonObject;

/**
 * The shape an answer must have: any JSON object, or JSON that follows a schema. Each provider
 * asks its model for it in the model's own way (OpenAI {@code response_format}, Ollama
 * {@code format}, Anthropic a forced tool, a GGUF model a grammar, the demo a sample instance).
 *
 * @param schema the JSON Schema ({@link Kind#JSON_SCHEMA} only; null otherwise)
 * @param name   what the schema is called where a provider wants a name ({@code [A-Za-z0-9_-]{1,64}})
 * @param strict OpenAI's strict schema following, when the request set it; else null
 */
public record ResponseFormat(Kind kind, JsonObject schema, String name, Boolean strict) {

  public static final String DEFAULT_NAME = "answer";

  public enum Kind {
    JSON_OBJECT("json_object"), JSON_SCHEMA("json_schema");

    private final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    /** The name used in requests, ours and OpenAI's: {@code json_object}, {@code json_schema}. */
    public String wire() {
      return wire;
    }
  }

  public static ResponseFormat jsonObject() {
    return new ResponseFormat(Kind.JSON_OBJECT, null, DEFAULT_NAME, null);
  }

  public static ResponseFormat jsonSchema(JsonObject schema, String name, Boolean strict) {
    return new ResponseFormat(Kind.JSON_SCHEMA, schema, name == null ? DEFAULT_NAME : name, strict);
  }

  /** As the API writes it: {"type", "schema"?, "name"?, "strict"?}. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("type", kind.wire());
    if (schema != null) o.put("schema", schema).put("name", name);
    if (strict != null) o.put("strict", strict);
    return o;
  }

  /** Reads what {@link #toJson()} wrote (a stored generation's format; requests are checked elsewhere). */
  public static ResponseFormat fromJson(JsonObject o) {
    return "json_schema".equals(o.getString("type"))
        ? jsonSchema(o.getJsonObject("schema"), o.getString("name"), o.getBoolean("strict"))
        : jsonObject();
  }

  /** The schema a JSON-object answer follows: the request's, or "any object". */
  public JsonObject schemaOrAnyObject() {
    return schema != null ? schema : new JsonObject().put("type", "object");
  }
}
