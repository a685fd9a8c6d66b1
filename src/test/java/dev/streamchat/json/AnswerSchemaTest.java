package dev.streamchat.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerSchemaTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Schemas as people send them for structured answers. */
  static final List<String> SCHEMAS = List.of(
      """
      {"type": "object", "properties": {
         "name": {"type": "string", "minLength": 2, "maxLength": 40},
         "age": {"type": "integer", "minimum": 18, "maximum": 130},
         "email": {"type": "string", "format": "email"},
         "tags": {"type": "array", "items": {"type": "string"}, "minItems": 3, "uniqueItems": true},
         "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
         "kind": {"enum": ["person", "robot"]},
         "version": {"const": 2},
         "nickname": {"type": ["string", "null"]},
         "code": {"type": "string", "pattern": "^[0-9]{5}$"}},
       "required": ["name", "age", "tags"], "additionalProperties": false}
      """,
      """
      {"$defs": {"step": {"type": "object", "properties": {"title": {"type": "string"}, "minutes": {"type": "integer", "multipleOf": 5, "minimum": 7}},
                          "required": ["title", "minutes"]}},
       "type": "object", "properties": {"recipe": {"type": "string"}, "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}, "maxItems": 4}},
       "required": ["recipe", "steps"]}
      """,
      """
      {"allOf": [{"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"]},
                 {"properties": {"b": {"type": "null"}}, "required": ["b"]}]}
      """,
      """
      {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": false}
      """,
      """
      {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
       "properties": {"when": {"type": "string", "format": "date-time"}, "n": {"type": "number", "minimum": 5, "exclusiveMaximum": 6}},
       "required": ["when", "n"]}
      """,
      """
      {"oneOf": [{"type": "object", "properties": {"ok": {"type": "boolean", "const": true}}, "required": ["ok"]}, {"type": "string"}]}
      """);

  @Test
  void aSampleInstanceFollowsItsSchema() throws Exception {
    for (String text : SCHEMAS) {
      AnswerSchema schema = AnswerSchema.read(MAPPER.readTree(text));
      JsonNode sample = SampleInstance.of(schema.node());
      assertNull(schema.mismatch(sample), text + " -> " + sample);
    }
  }

  @Test
  void aSchemaWhoseReferencesBranchStillGivesASampleAtOnce() throws Exception {
    JsonNode schema = MAPPER.readTree("""
        {"$defs": {"n": {"type": "object", "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"$ref": "#/$defs/n"},
          "c": {"$ref": "#/$defs/n"}, "d": {"$ref": "#/$defs/n"}, "e": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}""");
    JsonNode sample = assertTimeoutPreemptively(java.time.Duration.ofSeconds(2), () -> SampleInstance.of(schema));
    assertNull(AnswerSchema.read(schema).mismatch(sample), "every property is optional: the cut-off sample is valid");
  }

  @Test
  void aViolationSaysWhichWithTheFirstFew() throws Exception {
    AnswerSchema schema = AnswerSchema.read(MAPPER.readTree(SCHEMAS.get(0)));
    String mismatch = schema.mismatch(MAPPER.readTree("{\"name\": \"A\", \"age\": \"old\", \"tags\": [], \"extra\": 1}"));
    assertTrue(mismatch.startsWith("The answer does not match the schema: "), mismatch);
    assertTrue(mismatch.contains("$.age: string found, integer expected"), mismatch);
    assertTrue(mismatch.contains("(and 1 more)"), mismatch);
  }

  @Test
  void nonsenseSchemasAreRefusedWithAClearMessage() {
    assertInvalid("{\"type\": 5}", "The schema is not valid: ");
    assertInvalid("[1, 2]", "The schema is not valid: it must be an object");
    assertInvalid("{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"http://127.0.0.1:1/x.json\"}}}",
        "The schema is not valid: $ref at /properties/a must point inside the schema (#...)");
    assertInvalid("{\"$schema\": \"https://example.com/my-draft\"}", "The schema is not valid: $schema names an unknown draft");
    assertInvalid("{\"minLength\": -1}", "The schema is not valid: ");
  }

  private static void assertInvalid(String schema, String start) {
    String message = assertThrows(IllegalArgumentException.class, () -> AnswerSchema.read(MAPPER.readTree(schema)),
        schema).getMessage();
    assertTrue(message.startsWith(start), message);
    assertEquals(-1, message.indexOf("Exception"), message);
  }
}
