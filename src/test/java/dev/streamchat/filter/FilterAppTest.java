package dev.streamchat.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A secret the model writes, split by the network at every possible place, never exists anywhere
 * in streamchat: not in an event (live or replayed from any cursor), the stored answer, the
 * stream log on disk, nor a log line. The answer is the model's text with the match replaced.
 */
class FilterAppTest {

  private static final String SECRET = "SECRET-7f3a9c2e1b4d";
  private static final String MODEL_TEXT = "The token is " + SECRET + ", do not share it.";
  private static final String SHOWN = "The token is [redacted], do not share it.";

  private static FakeOpenAi model;
  private static TestServer app;
  private static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start() throws Exception {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    model = new FakeOpenAi();
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_REDACT", "SECRET-[0-9a-f]{12}");
    env.put("STREAMCHAT_MESSAGES_PER_MINUTE", "1000");
    env.put("STREAMCHAT_MAX_GENERATIONS_PER_SESSION", "100");
    env.put("STREAMCHAT_ADMIN_TOKEN", "admin-token-for-filter-tests");
    app = TestServer.start(env);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    model.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  @Test
  void aSecretSplitAnywhereIsNeverSeenStoredOrLogged() throws Exception {
    ApiClient client = app.client();
    String conversation = client.newConversation();
    List<List<String>> splits = new ArrayList<>();
    int from = MODEL_TEXT.indexOf(SECRET) - 1;
    for (int i = from; i <= from + SECRET.length() + 1; i++) {
      splits.add(List.of(MODEL_TEXT.substring(0, i), MODEL_TEXT.substring(i)));
    }
    splits.add(MODEL_TEXT.codePoints().mapToObj(Character::toString).toList()); // one character per chunk
    for (List<String> pieces : splits) {
      model.answer(pieces, false);
      String gid = client.ask(conversation, "What is the token?", FakeOpenAi.MODEL, null);
      List<SseEvent> live = client.readAll(gid, null, null);
      assertEquals(SHOWN, text(live), "split " + pieces);
      JsonObject stored = client.awaitFinal(gid);
      assertEquals("done", stored.getString("state"));
      assertEquals(SHOWN, stored.getString("text"));
      // The page's own event stream (HTML) from the start.
      try (var page = client.open("/g/" + gid + "/stream", null)) {
        for (SseEvent e; (e = page.next()) != null; ) {
          assertNoSecret(e.data(), "page event");
          if (e.isEnd()) break;
        }
      }
      // Replay from every cursor gives exactly the rest of the released text.
      long last = live.stream().filter(e -> e.id() != null).mapToLong(SseEvent::id).max().orElse(0);
      String whole = chunksFrom(live);
      for (long after = 0; after <= last; after++) {
        List<SseEvent> replay = client.readAll(gid, null, after);
        for (SseEvent e : replay) assertNoSecret(e.data(), "replay after " + after);
        assertTrue(whole.endsWith(text(replay)), "replay after " + after + ": " + text(replay));
      }
    }
    assertNoSecret(client.get("/c/" + conversation).body(), "the conversation page");
    String messages = client.get("/api/conversations/" + conversation).body();
    assertNoSecret(messages, "the conversation");
    assertTrue(messages.contains(SHOWN), messages);
    try (Stream<Path> files = Files.walk(app.dataDir())) {
      for (Path f : files.filter(Files::isRegularFile).toList()) assertNoSecret(read(f), f.toString());
    }
    for (ILoggingEvent line : logs.list) assertNoSecret(line.getFormattedMessage(), "log line");
    String metrics = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url("/metrics")))
        .header("Authorization", "Bearer admin-token-for-filter-tests").GET()).body();
    java.util.regex.Matcher counted = java.util.regex.Pattern
        .compile("streamchat_filter_redactions_total\\{stream=\"text\"} ([0-9.]+)").matcher(metrics);
    assertTrue(counted.find(), metrics);
    assertEquals(splits.size(), Double.parseDouble(counted.group(1)), 0.0, "one redaction per answer");
  }

  @Test
  void anEndingPhraseEndsTheAnswerBeforeItAndStopsTheModel() throws Exception {
    Path rules = Files.createTempFile("filters", ".txt");
    Files.writeString(rules, "ends-answer: I must not say\n");
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_FILTERS", rules.toString());
    try (TestServer own = TestServer.start(env)) {
      model.answer(List.of("Well. I must ", "not say this", " at all."), true);
      ApiClient client = own.client();
      String gid = client.ask(client.newConversation(), "Say it", FakeOpenAi.MODEL, null);
      JsonObject end = client.readAll(gid, null, null).stream().filter(SseEvent::isEnd).findFirst().orElseThrow().json();
      assertEquals("done", end.getString("state"));
      assertEquals("content_filter", end.getString("finishReason"));
      assertEquals("Well. ", client.awaitFinal(gid).getString("text"));
      assertTrue(model.server().awaitClientClose(5000) > 0, "the model's stream was closed");
    } finally {
      Files.deleteIfExists(rules);
    }
  }

  /**
   * A model cut off inside a secret (its stream breaks, or a length bound ends it) leaves the
   * start of the secret held: the answer ends without it, since it cannot be judged.
   */
  @ParameterizedTest(name = "the model {0}")
  @ValueSource(strings = {"breaks", "is cut by length"})
  void aSecretCutOffByTheEndOfTheAnswerIsNotShownInPart(String ending) throws Exception {
    String before = "The token is ";
    try (FakeModelServer cutting = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"fake-gpt\",\"object\":\"model\"}]}");
        return;
      }
      ex.begin("text/event-stream");
      for (String p : List.of(before, "SECRET-", "7f3a")) ex.write(sse(WireStreams.openAiChunk(new WireStreams.Piece(false, p))));
      if (ending.equals("breaks")) {
        ex.cut();
        return;
      }
      ex.write(sse("{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}"));
      ex.write(sse("[DONE]"));
      ex.end();
    });
        TestServer own = TestServer.start(Map.of("OPENAI_BASE_URL", cutting.url("/v1"), "OPENAI_API_KEY", "sk-test-key",
            "STREAMCHAT_REDACT", "SECRET-[0-9a-f]{12}"))) {
      ApiClient client = own.client();
      String gid = client.ask(client.newConversation(), "What is the token?", FakeOpenAi.MODEL, null);
      List<SseEvent> events = client.readAll(gid, null, null);
      assertEquals(before, text(events), "the text before the secret, nothing of it");
      JsonObject stored = client.awaitFinal(gid);
      assertEquals(ending.equals("breaks") ? "failed" : "done", stored.getString("state"));
      assertEquals(before, stored.getString("text"));
      assertNoSecret(stored.encode(), "the stored answer");
      assertNoSecret(client.get("/g/" + gid + "/stream").body(), "the page's replay");
    }
  }

  private static byte[] sse(String data) {
    return ("data: " + data + "\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String text(List<SseEvent> events) {
    return chunksFrom(events);
  }

  private static String chunksFrom(List<SseEvent> events) {
    StringBuilder b = new StringBuilder();
    for (SseEvent e : events) {
      assertNoSecret(e.data(), "event " + e.event());
      if (e.event().equals("chunk")) b.append(e.json().getString("text"));
    }
    return b.toString();
  }

  /** Neither the secret nor any of its prefixes the pattern could still complete ("SECRET-7", "SECRET-", ...). */
  private static void assertNoSecret(String s, String where) {
    assertFalse(s.contains("SECRET") || s.contains("7f3a9c2e"), where + " holds (part of) the secret: " + s);
    for (int n = 1; n < SECRET.length(); n++) {
      String prefix = SECRET.substring(0, n);
      // a prefix is harmless only where the released text has it for another reason: "S" of "Say", "share"...
      if (n >= 3) assertFalse(s.contains(prefix), where + " holds the prefix " + prefix);
    }
  }

  private static String read(Path f) {
    try {
      return new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
