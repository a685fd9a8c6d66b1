package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.Timeouts;
import dev.streamchat.model.openai.OpenAiStreamParser;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * When the listener of a stream fails (say the store cannot append), that is this server's fault:
 * the stream ends as an internal failure and the model is stopped; it is never reported as a
 * malformed chunk from the model server.
 */
@ExtendWith(VertxExtension.class)
class ListenerFaultTest {

  @Test
  void aFailingListenerIsNotAMalformedChunk(Vertx vertx) throws Exception {
    try (FakeModelServer server = new FakeModelServer((req, ex) -> {
      ex.begin("text/event-stream");
      ex.streamUntilClosed(("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, "hi")) + "\n\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8), 5, 10_000);
    })) {
      CompletableFuture<Failure> failed = new CompletableFuture<>();
      StreamListener throwing = new StreamListener() {
        @Override
        public void onText(String text) {
          throw new IllegalStateException("cannot append to stream log");
        }

        @Override
        public void onReasoning(String text) {
        }

        @Override
        public void onComplete(FinishReason reason, Usage usage) {
          failed.completeExceptionally(new AssertionError("completed"));
        }

        @Override
        public void onFailure(Failure failure) {
          failed.complete(failure);
        }
      };
      HttpStreamClient client = new HttpStreamClient(vertx, Timeouts.defaults());
      vertx.runOnContext(v -> client.stream(server.url("/v1/chat/completions"), Map.of(), new JsonObject(), "m",
          l -> new OpenAiStreamParser(l, new Redactor()), throwing));
      Failure f = failed.get(10, TimeUnit.SECONDS);
      assertEquals(Failure.Kind.INTERNAL, f.kind());
      assertTrue(!f.message().contains("malformed"), f.message());
      assertTrue(server.awaitClientClose(5000) > 0, "the model's stream is closed");
    }
  }
}
