package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamchat.json.AnswerSchema;
import dev.streamchat.model.anthropic.AnthropicProvider;
import dev.streamchat.model.anthropic.AnthropicStreamParser;
import dev.streamchat.model.demo.DemoProvider;
import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Redactor;
import dev.streamchat.model.http.Timeouts;
import dev.streamchat.model.ollama.OllamaProvider;
import dev.streamchat.model.openai.OpenAiProvider;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each provider asks its model for a JSON answer in the model's own way; Anthropic's tool stream is the answer. */
class ResponseFormatWireTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonObject SCHEMA = new JsonObject("""
      {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
       "required": ["city", "days"], "additionalProperties": false}""");
  private static final ModelRequest ASK = new ModelRequest("m", List.of(new ChatMessage("user", "Plan a trip")), 0);

  private static Vertx vertx;
  private static HttpStreamClient http;
  private static FakeModelServer server;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    http = new HttpStreamClient(vertx, Timeouts.defaults());
    // Records the request and answers nothing useful: only what was asked matters here.
    server = new FakeModelServer((req, ex) -> ex.reply(500, "application/json", "{\"error\": \"not here\"}"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void openAiGetsResponseFormat() throws Exception {
    OpenAiProvider openAi = new OpenAiProvider(http, server.url("/v1"), "sk-x");
    JsonObject body = sent(() -> openAi.stream(ASK.withResponseFormat(ResponseFormat.jsonObject()), new RecordingListener()),
        "/v1/chat/completions");
    assertEquals(new JsonObject().put("type", "json_object"), body.getJsonObject("response_format"));

    body = sent(() -> openAi.stream(ASK.withResponseFormat(ResponseFormat.jsonSchema(SCHEMA, "trip", true)),
        new RecordingListener()), "/v1/chat/completions");
    assertEquals(new JsonObject().put("type", "json_schema").put("json_schema",
        new JsonObject().put("name", "trip").put("schema", SCHEMA).put("strict", true)), body.getJsonObject("response_format"));

    body = sent(() -> openAi.stream(ASK, new RecordingListener()), "/v1/chat/completions");
    assertFalse(body.containsKey("response_format"), "a free-text answer asks for no format");
  }

  @Test
  void ollamaGetsFormat() throws Exception {
    OllamaProvider ollama = new OllamaProvider(http, server.url(""));
    JsonObject body = sent(() -> ollama.stream(ASK.withResponseFormat(ResponseFormat.jsonObject()), new RecordingListener()),
        "/api/chat");
    assertEquals("json", body.getValue("format"));
    body = sent(() -> ollama.stream(ASK.withResponseFormat(ResponseFormat.jsonSchema(SCHEMA, null, null)),
        new RecordingListener()), "/api/chat");
    assertEquals(SCHEMA, body.getJsonObject("format"));
  }

  @Test
  void anthropicGetsAForcedToolWithTheSchema() throws Exception {
    AnthropicProvider anthropic = new AnthropicProvider(http, server.url(""), "sk-ant-x");
    JsonObject body = sent(() -> anthropic.stream(ASK.withResponseFormat(ResponseFormat.jsonSchema(SCHEMA, "trip", null)),
        new RecordingListener()), "/v1/messages");
    JsonObject tool = body.getJsonArray("tools").getJsonObject(0);
    assertEquals("trip", tool.getString("name"));
    assertEquals(SCHEMA, tool.getJsonObject("input_schema"));
    assertEquals(new JsonObject().put("type", "tool").put("name", "trip"), body.getJsonObject("tool_choice"));

    body = sent(() -> anthropic.stream(ASK.withResponseFormat(ResponseFormat.jsonObject()), new RecordingListener()),
        "/v1/messages");
    assertEquals(new JsonObject().put("type", "object"), body.getJsonArray("tools").getJsonObject(0).getJsonObject("input_schema"));
  }

  @Test
  void anthropicsToolInputStreamIsTheAnswerWhereverTheNetworkSplitsIt() throws Exception {
    String json = "{\"city\": \"Zürich\", \"days\": 3}";
    List<String> partials = List.of("", "{\"city\": \"Z", "ürich\", \"da", "ys\": 3", "}");
    StringBuilder s = new StringBuilder();
    s.append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-test\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n");
    s.append("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"trip\",\"input\":{}}}\n\n");
    for (String p : partials) {
      s.append("event: content_block_delta\ndata: ").append(new JsonObject().put("type", "content_block_delta").put("index", 0)
          .put("delta", new JsonObject().put("type", "input_json_delta").put("partial_json", p)).encode()).append("\n\n");
    }
    s.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    s.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n");
    s.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    byte[] body = s.toString().getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= body.length; cut++) {
      RecordingListener l = new RecordingListener();
      AnthropicStreamParser parser = new AnthropicStreamParser(l, new Redactor());
      parser.feed(Buffer.buffer(Arrays.copyOfRange(body, 0, cut)));
      parser.feed(Buffer.buffer(Arrays.copyOfRange(body, cut, body.length)));
      parser.finish();
      assertTrue(parser.complete());
      assertEquals(json, l.text.toString(), "cut at byte " + cut);
    }
  }

  @Test
  void theDemoAnswersWithASampleOfTheSchemaTokenByToken() throws Exception {
    DemoProvider demo = new DemoProvider(vertx, 100_000, 5);
    RecordingListener l = new RecordingListener();
    demo.stream(ASK.withResponseFormat(ResponseFormat.jsonSchema(SCHEMA, null, null)), l);
    String text = await(() -> complete(l.text.toString()));
    assertNull(AnswerSchema.read(MAPPER.readTree(SCHEMA.encode())).mismatch(MAPPER.readTree(text)), text);
    assertTrue(l.parts > 10, "streamed in " + l.parts + " parts, not at once");

    RecordingListener any = new RecordingListener();
    demo.stream(ASK.withResponseFormat(ResponseFormat.jsonObject()), any);
    assertTrue(MAPPER.readTree(await(() -> complete(any.text.toString()))).isObject());
  }

  /** The text once it is whole JSON, else null. */
  private static String complete(String text) {
    try {
      return text.isBlank() ? null : MAPPER.readTree(text) != null ? text : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static String await(Supplier<String> done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      String v = done.get();
      if (v != null) return v;
      Thread.sleep(5);
    }
    throw new AssertionError("no complete answer within 10 s");
  }

  /** Starts a stream, waits for the request to reach the fake server, and answers the body it carried. */
  private static JsonObject sent(Supplier<StreamHandle> start, String path) throws Exception {
    int before = server.requests().size();
    StreamHandle handle = start.get();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.requests().size() == before && System.nanoTime() < deadline) Thread.sleep(5);
    handle.cancel();
    return new JsonObject(server.lastRequest(path).body());
  }
}
