package dev.streamchat.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Structured answers through the whole app: json events, the value at the end, failures, and refusals. */
class JsonAppTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonObject SCHEMA = new JsonObject("""
      {"type": "object", "properties": {
         "city": {"type": "string", "minLength": 3},
         "days": {"type": "integer", "minimum": 1},
         "sights": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "hours": {"type": "number"}},
                    "required": ["name"]}, "minItems": 2}},
       "required": ["city", "days", "sights"]}""");

  private static FakeOpenAi model;
  private static TestServer app;

  @BeforeAll
  static void start() throws Exception {
    model = new FakeOpenAi();
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_DEMO_TPS", "300");
    env.put("STREAMCHAT_MESSAGES_PER_MINUTE", "1000");
    app = TestServer.start(env);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    model.close();
  }

  @Test
  void eachJsonEventIsThePartialValueOfItsPrefixAndTheEndCarriesTheWhole() throws Exception {
    ApiClient client = app.client();
    String gid = ask(client, "demo", new JsonObject().put("type", "json_schema").put("schema", SCHEMA));
    List<SseEvent> events = client.readAll(gid, null, null);
    TreeMap<Long, String> prefixes = prefixes(events);
    String text = prefixes.lastEntry().getValue();
    int jsonEvents = 0;
    long jsonBytes = 0;
    JsonNode last = null;
    for (SseEvent e : events) {
      if (!e.event().equals("json")) continue;
      jsonEvents++;
      jsonBytes += e.data().getBytes(StandardCharsets.UTF_8).length;
      JsonNode data = MAPPER.readTree(e.data());
      long seq = data.get("seq").asLong();
      last = data.get("value");
      assertEquals(PartialJsonTest.Oracle.partial(prefixes.get(seq)), last, "json at seq " + seq);
    }
    JsonNode whole = MAPPER.readTree(text);
    assertTrue(jsonEvents > 3, "the value grew in " + jsonEvents + " events");
    assertEquals(whole, last, "the last json event is the whole value");
    JsonObject end = events.get(events.size() - 1).json();
    assertEquals("done", end.getString("state"));
    assertEquals(whole, MAPPER.readTree(end.getValue("json").toString()));
    JsonObject generation = client.awaitFinal(gid);
    assertEquals(whole, MAPPER.readTree(generation.getValue("json").toString()));
    assertNull(RequestedFormat.schemaOf(dev.streamchat.model.ResponseFormat.jsonSchema(SCHEMA, null, null)).mismatch(whole));
    long answerBytes = text.getBytes(StandardCharsets.UTF_8).length;
    System.out.printf("figure: demo JSON answer %d bytes, %d chunks, %d json events, %d bytes of json events (%.2f per answer byte)%n",
        answerBytes, prefixes.lastKey(), jsonEvents, jsonBytes, (double) jsonBytes / answerBytes);
    assertTrue(jsonBytes <= 6 * answerBytes + 1024, "json events stay a small multiple of the answer: " + jsonBytes);

    // A resume after any chunk first sends the value of the answer up to that chunk.
    for (long after : prefixes.keySet()) {
      List<SseEvent> replay = client.readAll(gid, null, after);
      JsonNode expected = PartialJsonTest.Oracle.partial(prefixes.get(after));
      SseEvent first = replay.get(0);
      if (expected.isNull()) continue;
      assertEquals("json", first.event(), "first event after " + after);
      assertEquals(after, first.json().getLong("seq"));
      assertEquals(expected, MAPPER.readTree(first.json().getValue("value").toString()), "value after " + after);
    }
  }

  @Test
  void aViewerResumingAtTheLiveHeadFirstGetsTheValueSoFar() throws Exception {
    // The model writes its pieces and one " more", then a piece every 1.5 s: viewers resuming in
    // the pause join at the newest chunk, where viewers in step already share a rendering.
    model.answer(List.of("{\"story\": \"Once", " upon", " a time"), true, 1500);
    ApiClient client = app.client();
    String gid = ask(client, FakeOpenAi.MODEL, new JsonObject().put("type", "json_object"));
    // Viewers in step on every event loop (connections are spread over them in turn).
    int loops = Runtime.getRuntime().availableProcessors() + 1;
    List<SseConnection> inStep = new java.util.ArrayList<>();
    long last = 0;
    try {
      for (int i = 0; i < loops; i++) {
        SseConnection viewer = client.events(gid, null, null);
        inStep.add(viewer);
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(" a time more")) {
          SseEvent e = viewer.next();
          if (e.event().equals("chunk")) {
            text.append(e.json().getString("text"));
            last = e.id();
          }
        }
      }
      for (int i = 0; i < loops; i++) {
        try (SseConnection resumed = client.events(gid, last, null)) {
          SseEvent e = resumed.next();
          assertEquals("json", e.event(), "viewer " + i + ": " + e.data());
          assertEquals(last, e.json().getLong("seq"));
          assertEquals(MAPPER.readTree("{\"story\": \"Once upon a time more\"}"),
              MAPPER.readTree(e.json().getValue("value").toString()));
        }
      }
    } finally {
      inStep.forEach(SseConnection::close);
      client.post("/api/generations/" + gid + "/stop", new JsonObject());
    }
  }

  @Test
  void anOpenAiModelIsAskedNativelyAndItsBrokenJsonFailsWithTheTextKept() throws Exception {
    model.answer(List.of("{\"city\": \"Ro", "me\", \"days\": [1, 2"), false);
    ApiClient client = app.client();
    String gid = ask(client, FakeOpenAi.MODEL, new JsonObject().put("type", "json_object"));
    JsonObject g = client.awaitFinal(gid);
    assertEquals("failed", g.getString("state"));
    assertEquals("The answer is not valid JSON: it ends before the value is complete (at character 31)", g.getString("error"));
    assertEquals("{\"city\": \"Rome\", \"days\": [1, 2", g.getString("text"));
    assertEquals(new JsonObject().put("type", "json_object"),
        new JsonObject(model.server().lastRequest("/v1/chat/completions").body()).getJsonObject("response_format"));
    assertNull(g.getValue("json"));
  }

  @Test
  void regenerateAndContinueKeepTheFormat() throws Exception {
    model.answer(List.of("{\"city\": \"Ro"), false);
    ApiClient client = app.client();
    String gid = ask(client, FakeOpenAi.MODEL, new JsonObject().put("type", "json_object"));
    assertEquals("failed", client.awaitFinal(gid).getString("state"));
    model.answer(List.of("me\"}"), false);
    ApiClient.Reply continued = client.post("/api/generations/" + gid + "/continue", new JsonObject());
    assertEquals(202, continued.status(), continued.body());
    String next = continued.json().getString("generationId");
    JsonObject g = client.awaitFinal(next);
    assertEquals("done", g.getString("state"), g.encode());
    assertEquals(new JsonObject().put("city", "Rome"), g.getJsonObject("json"), "the partial answer and its continuation are one value");
    assertEquals(new JsonObject().put("type", "json_object"),
        new JsonObject(model.server().lastRequest("/v1/chat/completions").body()).getJsonObject("response_format"));

    model.answer(List.of("{\"city\": \"Oslo\"}"), false);
    ApiClient.Reply regenerated = client.post("/api/generations/" + next + "/regenerate", new JsonObject());
    assertEquals(202, regenerated.status(), regenerated.body());
    JsonObject again = client.awaitFinal(regenerated.json().getString("generationId"));
    assertEquals(new JsonObject().put("city", "Oslo"), again.getJsonObject("json"));
  }

  @Test
  void retryEditAndThePageRetryAskForTheSameFormatAndAReloadShowsTheSavedAnswerAsJson() throws Exception {
    JsonObject jsonObject = new JsonObject().put("type", "json_object");
    model.answer(List.of("{\"city\": \"Rome\"}"), false);
    ApiClient client = app.client();
    String conversation = client.newConversation();
    ApiClient.Reply sent = client.post("/api/conversations/" + conversation + "/messages",
        new JsonObject().put("content", "Plan a trip").put("model", FakeOpenAi.MODEL).put("responseFormat", jsonObject));
    assertEquals(202, sent.status(), sent.body());
    assertEquals("done", client.awaitFinal(sent.json().getString("generationId")).getString("state"));
    JsonObject answer = client.get("/api/conversations/" + conversation).json().getJsonArray("messages").getJsonObject(1);
    assertEquals(jsonObject, answer.getJsonObject("responseFormat"), "the stored answer keeps its format: " + answer);

    // The API's Retry sends the question again: as JSON again.
    model.answer(List.of("{\"city\": \"Oslo\"}"), false);
    ApiClient.Reply retried = client.post("/api/conversations/" + conversation + "/retry", new JsonObject());
    assertEquals(202, retried.status(), retried.body());
    assertEquals(new JsonObject().put("city", "Oslo"), client.awaitFinal(retried.json().getString("generationId")).getJsonObject("json"));
    assertEquals(jsonObject, lastResponseFormat());

    // An edited question is answered as JSON again.
    JsonObject question = client.get("/api/conversations/" + conversation).json().getJsonArray("messages").stream()
        .map(JsonObject.class::cast).filter(m -> m.getString("role").equals("user")).reduce((a, b) -> b).orElseThrow();
    model.answer(List.of("{\"city\": \"Bergen\"}"), false);
    ApiClient.Reply edited = client.put("/api/conversations/" + conversation + "/messages/" + question.getString("id"),
        new JsonObject().put("content", "Plan a trip north"));
    assertEquals(202, edited.status(), edited.body());
    assertEquals(new JsonObject().put("city", "Bergen"), client.awaitFinal(edited.json().getString("generationId")).getJsonObject("json"));
    assertEquals(jsonObject, lastResponseFormat());

    // The page's Retry of a failed JSON answer asks for JSON again.
    model.answer(List.of("{\"city\": \"Tro"), false);
    ApiClient.Reply broken = client.post("/api/conversations/" + conversation + "/retry", new JsonObject());
    assertEquals("failed", client.awaitFinal(broken.json().getString("generationId")).getString("state"));
    model.answer(List.of("{\"city\": \"Tromsø\"}"), false);
    ApiClient.Reply pageRetry = client.pagePost("/c/" + conversation + "/retry", "");
    assertTrue(pageRetry.status() < 400, pageRetry.toString());
    assertEquals(jsonObject, lastResponseFormat());
    JsonObject last = client.get("/api/conversations/" + conversation).json().getJsonArray("messages").stream()
        .map(JsonObject.class::cast).reduce((a, b) -> b).orElseThrow();
    JsonObject done = client.awaitFinal(last.getString("generationId"));
    assertEquals(new JsonObject().put("city", "Tromsø"), done.getJsonObject("json"));

    // A reload shows the saved answer as JSON (the page's tree, webroot/json-view.js).
    String page = client.get("/c/" + conversation).body();
    assertTrue(page.contains("data-json-generation=\"" + last.getString("generationId") + "\""), page);
  }

  @Test
  void theWebSocketApiCarriesTheJsonEventsAndTheEndsValueAsSseDoes() throws Exception {
    ApiClient client = app.client();
    client.newConversation(); // the session (its cookie opens the socket)
    io.vertx.core.http.WebSocketClient sockets = app.vertx().createWebSocketClient();
    java.util.concurrent.LinkedBlockingQueue<JsonObject> messages = new java.util.concurrent.LinkedBlockingQueue<>();
    io.vertx.core.http.WebSocket ws = sockets.connect(new io.vertx.core.http.WebSocketConnectOptions()
            .setHost("127.0.0.1").setPort(app.port()).setURI("/api/ws").addHeader("Cookie", client.cookieHeader()))
        .toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
    ws.textMessageHandler(t -> messages.add(new JsonObject(t)));
    try {
      // Followed live (the model writes " more" every 30 ms until stopped): each json message is
      // the partial value of the text up to its seq.
      model.answer(List.of("{\"story\": \"Once"), true, 30);
      String growing = ask(client, FakeOpenAi.MODEL, new JsonObject().put("type", "json_object"));
      ws.writeTextMessage(new JsonObject().put("subscribe", growing).put("after", 0).encode());
      List<JsonObject> live = readUntil(messages, growing, 5);
      assertTrue(live.stream().filter(m -> m.getString("event").equals("json")).count() >= 5);
      client.post("/api/generations/" + growing + "/stop", new JsonObject());

      // Ended: the end message is the SSE end event's data with gid and event, so it carries the value.
      String gid = ask(client, "demo", new JsonObject().put("type", "json_schema").put("schema", SCHEMA));
      JsonObject sseEnd = client.readAll(gid, null, null).stream().filter(SseEvent::isEnd).findFirst().orElseThrow().json();
      ws.writeTextMessage(new JsonObject().put("subscribe", gid).put("after", 0).encode());
      List<JsonObject> all = readUntil(messages, gid, 0);
      JsonObject end = all.get(all.size() - 1).copy();
      assertEquals("end", end.remove("event"));
      assertEquals(gid, end.remove("gid"));
      assertEquals(sseEnd, end);
      JsonObject lastJson = all.stream().filter(m -> m.getString("event").equals("json")).reduce((x, y) -> y).orElseThrow();
      assertEquals(end.getValue("json"), lastJson.getValue("value"), "the last json message is the whole value");

      // A resume after chunk N first sends the value so far, as over SSE.
      long after = all.stream().filter(m -> m.getString("event").equals("chunk")).findFirst().orElseThrow().getLong("seq");
      JsonObject expected = client.readAll(gid, null, after).get(0).json();
      ws.writeTextMessage(new JsonObject().put("subscribe", gid).put("after", after).encode());
      JsonObject first = messages.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertNotNull(first);
      assertEquals("json", first.getString("event"), first.encode());
      assertEquals(expected.getLong("seq"), first.getLong("seq"));
      assertEquals(expected.getValue("value"), first.getValue("value"));
    } finally {
      ws.close();
      sockets.close();
    }
  }

  /**
   * A subscription's messages until its end (or, with {@code jsonWanted} > 0, until that many json
   * messages), each json one checked against the partial value of the text so far.
   */
  private static List<JsonObject> readUntil(java.util.concurrent.BlockingQueue<JsonObject> messages, String gid,
      int jsonWanted) throws Exception {
    List<JsonObject> out = new java.util.ArrayList<>();
    StringBuilder text = new StringBuilder();
    int json = 0;
    while (true) {
      JsonObject m = messages.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertNotNull(m, "a message within 20 s");
      if (!gid.equals(m.getString("gid"))) continue;
      out.add(m);
      String event = m.getString("event");
      if (event.equals("chunk")) {
        text.append(m.getString("text"));
      } else if (event.equals("json")) {
        json++;
        assertEquals(PartialJsonTest.Oracle.partial(text.toString()), MAPPER.readTree(m.getValue("value").toString()),
            "json after " + text);
        if (json == jsonWanted) return out;
      } else if (event.equals("end")) {
        return out;
      }
    }
  }

  private static JsonObject lastResponseFormat() {
    return new JsonObject(model.server().lastRequest("/v1/chat/completions").body()).getJsonObject("response_format");
  }

  @Test
  void anAnswerAgainstTheSchemaFailsWithTheViolations() throws Exception {
    model.answer(List.of("{\"city\": 5, ", "\"days\": 2, \"sights\": []}"), false);
    ApiClient client = app.client();
    String gid = ask(client, FakeOpenAi.MODEL, new JsonObject().put("type", "json_schema").put("schema", SCHEMA).put("name", "trip"));
    JsonObject g = client.awaitFinal(gid);
    assertEquals("failed", g.getString("state"));
    String error = g.getString("error");
    assertTrue(error.startsWith("The answer does not match the schema: "), error);
    assertTrue(error.contains("$.city: integer found, string expected"), error);
    assertEquals("{\"city\": 5, \"days\": 2, \"sights\": []}", g.getString("text"));
  }

  @Test
  void nonsenseFormatsAreA400() {
    ApiClient client = app.client();
    String conversation = client.newConversation();
    Map<Object, String> cases = new HashMap<>();
    cases.put("json", "responseFormat must be an object such as {\"type\": \"json_object\"}.");
    cases.put(new JsonObject().put("type", "xml"), "responseFormat type must be \"json_object\" or \"json_schema\".");
    cases.put(new JsonObject().put("type", "json_schema"), "responseFormat json_schema needs a \"schema\" object.");
    cases.put(new JsonObject().put("type", "json_schema").put("schema", new JsonObject().put("type", 5)), "The schema is not valid: ");
    cases.put(new JsonObject().put("type", "json_object").put("extra", 1), "responseFormat has an unknown field 'extra'.");
    for (var c : cases.entrySet()) {
      ApiClient.Reply r = client.post("/api/conversations/" + conversation + "/messages",
          new JsonObject().put("content", "Hi").put("responseFormat", c.getKey()));
      assertEquals(400, r.status(), r.body());
      assertTrue(r.json().getString("error").startsWith(c.getValue()), r.body());
    }
  }

  private static String ask(ApiClient client, String modelId, JsonObject format) {
    ApiClient.Reply r = client.post("/api/conversations/" + client.newConversation() + "/messages",
        new JsonObject().put("content", "Plan a trip").put("model", modelId).put("responseFormat", format));
    assertEquals(202, r.status(), r.body());
    return r.json().getString("generationId");
  }

  /** The answer's text up to each chunk event's id (and "" at 0). */
  private static TreeMap<Long, String> prefixes(List<SseEvent> events) {
    TreeMap<Long, String> out = new TreeMap<>();
    StringBuilder text = new StringBuilder();
    out.put(0L, "");
    for (SseEvent e : events) {
      if (!e.event().equals("chunk")) continue;
      text.append(e.json().getString("text"));
      out.put(e.id(), text.toString());
    }
    assertNotNull(out.lastEntry());
    return out;
  }
}
