package dev.streamchat.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaException;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A JSON Schema a request asked its answer to follow (networknt json-schema-validator). A schema
 * is checked against its meta-schema when it is read, so nonsense is refused before any model is
 * asked; it may only refer inside itself ({@code #...}): nothing is ever fetched.
 */
public final class AnswerSchema {

  /** Draft 2020-12 unless the schema names another with {@code $schema}. */
  private static final String DEFAULT_DRAFT = "https://json-schema.org/draft/2020-12/schema";
  private static final Map<String, SpecVersion.VersionFlag> DRAFTS = Map.of(
      "https://json-schema.org/draft/2020-12/schema", SpecVersion.VersionFlag.V202012,
      "https://json-schema.org/draft/2019-09/schema", SpecVersion.VersionFlag.V201909,
      "http://json-schema.org/draft-07/schema", SpecVersion.VersionFlag.V7,
      "http://json-schema.org/draft-06/schema", SpecVersion.VersionFlag.V6,
      "http://json-schema.org/draft-04/schema", SpecVersion.VersionFlag.V4);
  private static final int MAX_VIOLATIONS_SHOWN = 3;

  private final JsonNode node;
  private final JsonSchema schema;

  private AnswerSchema(JsonNode node, JsonSchema schema) {
    this.node = node;
    this.schema = schema;
  }

  /**
   * Reads a schema a request sent; {@link IllegalArgumentException} with a message fit for a
   * 400 ("The schema is not valid: ...") when it is not one.
   */
  public static AnswerSchema read(JsonNode node) {
    if (!node.isObject() && !node.isBoolean()) throw invalid("it must be an object");
    String draft = DEFAULT_DRAFT;
    if (node.has("$schema")) {
      draft = node.get("$schema").asText().replaceAll("#$", "");
      if (!DRAFTS.containsKey(draft)) {
        throw invalid("$schema names an unknown draft (known: " + String.join(", ", DRAFTS.keySet()) + ")");
      }
    }
    checkReferencesStayInside(node, "");
    JsonSchemaFactory factory = JsonSchemaFactory.getInstance(DRAFTS.get(draft),
        b -> b.schemaLoaders(loaders -> loaders.add(iri -> {
          // Meta-schemas are mapped to the library's own copies (classpath:) before loaders run;
          // nothing else is ever loaded, whatever a schema says.
          if ("classpath".equals(iri.getScheme())) return null;
          throw new JsonSchemaException("the schema refers to " + iri + ", outside itself");
        })));
    try {
      Set<ValidationMessage> problems = factory.getSchema(SchemaLocation.of(draft)).validate(node);
      if (!problems.isEmpty()) throw invalid(first(problems));
      JsonSchema schema = factory.getSchema(node);
      schema.initializeValidators(); // resolves references now, not at the first answer
      return new AnswerSchema(node, schema);
    } catch (JsonSchemaException | IllegalStateException e) {
      throw invalid(e.getMessage());
    }
  }

  /** The schema as it was sent. */
  public JsonNode node() {
    return node;
  }

  /** Null when the value follows the schema; else "The answer does not match the schema: ...". */
  public String mismatch(JsonNode value) {
    Set<ValidationMessage> problems = schema.validate(value);
    return problems.isEmpty() ? null : "The answer does not match the schema: " + first(problems);
  }

  private static String first(Set<ValidationMessage> problems) {
    String shown = problems.stream().limit(MAX_VIOLATIONS_SHOWN).map(ValidationMessage::getMessage)
        .collect(Collectors.joining("; "));
    return problems.size() > MAX_VIOLATIONS_SHOWN
        ? shown + " (and " + (problems.size() - MAX_VIOLATIONS_SHOWN) + " more)" : shown;
  }

  private static IllegalArgumentException invalid(String why) {
    return new IllegalArgumentException("The schema is not valid: " + why);
  }

  private static void checkReferencesStayInside(JsonNode node, String path) {
    if (node.isObject()) {
      for (String key : new String[] {"$ref", "$dynamicRef", "$recursiveRef"}) {
        JsonNode ref = node.get(key);
        if (ref != null && !(ref.isTextual() && ref.asText().startsWith("#"))) {
          throw invalid(key + " at " + (path.isEmpty() ? "/" : path) + " must point inside the schema (#...)");
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        checkReferencesStayInside(e.getValue(), path + "/" + e.getKey());
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) checkReferencesStayInside(node.get(i), path + "/" + i);
    }
  }
}
