package dev.streamchat.model.llama;

import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamchat.json.AnswerSchema;
import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.RecordingListener;
import dev.streamchat.model.ResponseFormat;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The GGUF model asked for JSON gets llama.cpp's grammar from the schema: even a story model then writes it. */
class LlamaJsonTest {

  @Test
  void aSchemaBecomesAGrammarTheAnswerFollows() throws Exception {
    Vertx vertx = Vertx.vertx();
    LlamaProvider provider = LlamaProvider.load(vertx, Stories260K.path()).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    try {
      JsonObject schema = new JsonObject("""
          {"type": "object", "properties": {"happy": {"type": "boolean"}, "mood": {"enum": ["sunny", "rainy"]}},
           "required": ["happy", "mood"], "additionalProperties": false}""");
      RecordingListener l = new RecordingListener();
      provider.stream(new ModelRequest("stories260K.gguf", List.of(new ChatMessage("user", "Once upon a time")), 200,
          ResponseFormat.jsonSchema(schema, null, null)), l);
      ObjectMapper mapper = new ObjectMapper();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String text = null;
      while (text == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
        try {
          String now = l.text.toString();
          if (now.strip().endsWith("}") && mapper.readTree(now) != null) text = now;
        } catch (Exception e) {
          // not whole yet
        }
      }
      System.out.println("figure: stories260K under a schema grammar answered " + text);
      assertNull(AnswerSchema.read(mapper.readTree(schema.encode())).mismatch(mapper.readTree(text)), text);
    } finally {
      provider.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
