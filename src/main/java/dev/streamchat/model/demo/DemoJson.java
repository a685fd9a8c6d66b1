package dev.streamchat.model.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamchat.json.SampleInstance;
import dev.streamchat.model.ResponseFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo model's JSON answer: a sample instance of the request's schema (or a small fixed
 * object), pretty-printed and cut into tokens about the size a model's are, so that strings grow
 * word by word. It is the whole instance whatever {@code maxTokens} says: cut, it would not be JSON.
 */
final class DemoJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern TOKEN = Pattern.compile("\\s*(?:[\\p{L}\\p{N}_]{1,6}|[^\\s\\p{L}\\p{N}_])");
  private static final String ANY_OBJECT = """
      {"model": "demo", "note": "This is the built-in demo model: it answers a JSON request with a sample that fits it.",
       "streamed": true, "chunks": [1, 2, 3]}""";

  private DemoJson() {
  }

  static List<String> tokens(ResponseFormat format) {
    try {
      JsonNode value = format.schema() == null ? MAPPER.readTree(ANY_OBJECT)
          : SampleInstance.of(MAPPER.readTree(format.schema().encode()));
      List<String> tokens = new ArrayList<>();
      Matcher m = TOKEN.matcher(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
      while (m.find()) tokens.add(m.group());
      return tokens;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a schema read from JSON is JSON", e);
    }
  }
}
