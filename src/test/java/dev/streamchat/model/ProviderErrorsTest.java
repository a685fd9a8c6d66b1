package dev.streamchat.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.testing.ApiClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a person sees when the model server misbehaves: the answer ends {@code failed} with a
 * short message, the text so far is kept, and no API key shows up in the API, the page or the log.
 */
class ProviderErrorsTest {

  private static final List<WireStreams.Piece> PARTIAL = List.of(
      new WireStreams.Piece(false, "Partial"), new WireStreams.Piece(false, " answer 🙂"));

  private static FakeProviders fakes;
  private static ApiClient client;
  private static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start() throws Exception {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    fakes = new FakeProviders(Map.of("STREAMCHAT_FIRST_TOKEN_TIMEOUT_MS", "1500", "STREAMCHAT_IDLE_TIMEOUT_MS", "1500"));
    client = fakes.app.client();
  }

  @AfterAll
  static void stop() throws Exception {
    fakes.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  /** Asks, waits for the end, and checks the failure the way a person and a program see it. */
  private static JsonObject failsWith(Protocol p, String expectedMessagePart, String expectedText) throws Exception {
    String conv = client.newConversation();
    String gid = client.ask(conv, "Hello", p.modelId, null);
    JsonObject g = ProviderStreamingTest.awaitFinalWith(client, gid);
    assertEquals("failed", g.getString("state"), g.encode());
    assertTrue(g.getString("error").contains(expectedMessagePart), "error: " + g.getString("error"));
    assertTrue(g.getString("error").length() < 240, "a short message");
    assertEquals(expectedText, g.getString("text"), "the partial text is kept");

    String conversation = client.get("/api/conversations/" + conv).body();
    String page = client.get("/c/" + conv).body();
    assertTrue(page.contains("Retry"), "a failed answer offers Retry");
    for (String secret : List.of(FakeProviders.OPENAI_KEY, FakeProviders.ANTHROPIC_KEY)) {
      assertFalse(g.encode().contains(secret), "no key in the generation");
      assertFalse(conversation.contains(secret), "no key in the conversation");
      assertFalse(page.contains(secret), "no key on the page");
      for (ILoggingEvent e : List.copyOf(logs.list)) {
        String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()));
        assertFalse(line.contains(secret), "no key in the log: " + line);
      }
    }
    return g;
  }

  private static FakeModelServer.Responder status(int status, String... headers) {
    // The body echoes the key, as OpenAI's 401 does: it must go no further.
    return (req, ex) -> ex.reply(status, "application/json",
        "{\"error\":{\"message\":\"Incorrect API key provided: " + FakeProviders.OPENAI_KEY + "\"}}", headers);
  }

  /** Sends a partial answer, then does {@code then}. */
  private static FakeModelServer.Responder partialThen(Protocol p, byte[] then, boolean cut) {
    return (req, ex) -> {
      ex.begin(p.contentType);
      ex.writeAll(WireStreams.splitAcrossWrites(p.body(PARTIAL, false), 10), 2);
      if (then.length > 0) ex.write(then);
      if (cut) ex.cut();
      else Thread.sleep(60_000);
    };
  }

  @Test
  void unauthorized() throws Exception {
    fakes.onChat(Protocol.OPENAI, status(401));
    failsWith(Protocol.OPENAI, "refused the API key (HTTP 401)", "");
  }

  @Test
  void unknownModel() throws Exception {
    fakes.onChat(Protocol.OPENAI, status(404));
    failsWith(Protocol.OPENAI, "does not know the model 'fake-gpt'", "");
  }

  @Test
  void rateLimitedTellsWhenToRetry() throws Exception {
    fakes.onChat(Protocol.OPENAI, status(429, "Retry-After", "17"));
    failsWith(Protocol.OPENAI, "rate limited, retry in 17 s", "");
  }

  @Test
  void serverError() throws Exception {
    fakes.onChat(Protocol.ANTHROPIC, status(503));
    failsWith(Protocol.ANTHROPIC, "failed (HTTP 503)", "");
  }

  @Test
  void streamCutMidAnswerKeepsThePartialText() throws Exception {
    for (Protocol p : List.of(Protocol.OPENAI, Protocol.ANTHROPIC)) {
      fakes.onChat(p, partialThen(p, new byte[0], true));
      failsWith(p, "closed the stream before the answer was complete", "Partial answer 🙂");
    }
  }

  @Test
  void malformedChunkKeepsThePartialText() throws Exception {
    fakes.onChat(Protocol.OPENAI, partialThen(Protocol.OPENAI, "data: {\"choices\":[{\"delta\":\n\n".getBytes(StandardCharsets.UTF_8), true));
    failsWith(Protocol.OPENAI, "malformed chunk", "Partial answer 🙂");
  }

  @Test
  void anthropicErrorMidStream() throws Exception {
    byte[] overloaded = ("event: error\r\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        + "\"message\":\"Overloaded (key " + FakeProviders.ANTHROPIC_KEY + ")\"}}\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    fakes.onChat(Protocol.ANTHROPIC, partialThen(Protocol.ANTHROPIC, overloaded, false));
    failsWith(Protocol.ANTHROPIC, "overloaded_error", "Partial answer 🙂");
  }

  @Test
  void silenceBeforeTheFirstTokenAndBetweenTokensTimesOut() throws Exception {
    fakes.onChat(Protocol.OPENAI, (req, ex) -> {
      ex.begin(Protocol.OPENAI.contentType);
      Thread.sleep(60_000);
    });
    failsWith(Protocol.OPENAI, "did not start answering within 1.5 s", "");
    fakes.onChat(Protocol.OPENAI, partialThen(Protocol.OPENAI, new byte[0], false));
    failsWith(Protocol.OPENAI, "went silent for 1.5 s", "Partial answer 🙂");
  }

  @Test
  void connectionRefused() throws Exception {
    // Ollama's models were listed at start; now its server is gone.
    fakes.server(Protocol.OLLAMA).refuse();
    failsWith(Protocol.OLLAMA, "connection refused", "");
  }
}
