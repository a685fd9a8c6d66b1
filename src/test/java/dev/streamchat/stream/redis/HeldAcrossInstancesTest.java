package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.GatedOpenAi;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two instances of one service with a redaction rule: an answer written on the first, whose model
 * waits mid-secret (a gated fake model), is watched over the API's event stream on both. The
 * viewer on the second instance is told that text is held, and that it no longer is, as the
 * viewer on the writing instance is, after the text released with it and with none of what is held.
 */
class HeldAcrossInstancesTest {

  private static final String SECRET = "SECRET-7zq39c2e1b4d";
  /**
   * The model's answer, a gate after each part: the first piece (so both viewers follow live
   * before anything is held), the start of the secret (held while the model waits), its end and
   * more (the redacted text is released while the model waits again, so "no longer held" is told
   * before the end could make it moot), the rest.
   */
  private static final String FIRST = "The token ";
  private static final List<String> SECRET_BEGINS = List.of("is ", "SECRET-", "7zq3");
  private static final List<String> SECRET_ENDS = List.of("9c2e1b4d", ", do not ");
  private static final List<String> REST = List.of("share it.");
  private static final String SHOWN = "The token is [redacted], do not share it.";

  private TestDatabase db;
  private TestRedis redis;
  private GatedOpenAi model;
  private final List<TestServer> instances = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.of("postgresql");
    redis = TestRedis.machine();
    model = new GatedOpenAi(List.of(FIRST), SECRET_BEGINS, SECRET_ENDS, REST);
    Map<String, String> env = new HashMap<>(model.env());
    env.put("STREAMCHAT_REDACT", "SECRET-[0-9a-z]{12}");
    env = db.env(redis.env(env));
    for (int i = 0; i < 2; i++) instances.add(TestServer.instance(env));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (model != null) model.close(); // first: it lets an answer still at a gate go on
    for (TestServer s : instances) s.close();
    if (redis != null) redis.close();
    if (db != null) db.close();
  }

  @Test
  void aViewerOnAnotherInstanceIsToldWhileTextIsHeldAndAfterTheTextReleasedWithIt() throws Exception {
    ApiClient onWriter = instances.get(0).client();
    String gid = onWriter.ask(onWriter.newConversation(), "What is the token?", FakeOpenAi.MODEL, null);
    ApiClient onOther = onWriter.at(instances.get(1).url(""));
    List<SseEvent> localEvents = new ArrayList<>();
    List<SseEvent> remoteEvents = new ArrayList<>();
    try (SseConnection local = onWriter.events(gid, null, null); SseConnection remote = onOther.events(gid, null, null)) {
      assertEquals(200, remote.status());
      readUntil(local, "chunk", localEvents);
      assertEquals(FIRST, readUntil(remote, "chunk", remoteEvents).json().getString("text"));
      model.open(); // on to the start of the secret, where the model waits

      readUntil(local, "held", localEvents);
      SseEvent held = readUntil(remote, "held", remoteEvents);
      assertEquals("held", held.event(), "the other instance's viewer is told while the model waits: " + remoteEvents);
      assertEquals(new JsonObject().put("held", true), held.json());
      assertEquals(null, held.id(), "a held event is no resume point");
      model.open(); // on to the end of the secret, where the model waits again

      readUntil(local, "held", localEvents);
      SseEvent released = readUntil(remote, "held", remoteEvents);
      assertEquals(new JsonObject().put("held", false), released.json(), "told no longer held: " + remoteEvents);
      // (", do not " may come before or after: it is released after the secret, not with it.)
      assertTrue(text(remoteEvents).startsWith("The token is [redacted]"), "after the text released with it: " + remoteEvents);
      model.open(); // on to the rest

      for (SseEvent e; (e = local.next()) != null; ) localEvents.add(e);
      for (SseEvent e; (e = remote.next()) != null; ) remoteEvents.add(e);
    }
    assertEquals(List.of(true, false), heldSignals(localEvents), "on the writing instance: " + localEvents);
    assertEquals(List.of(true, false), heldSignals(remoteEvents), "on the other, the same: " + remoteEvents);
    assertEquals(SHOWN, text(remoteEvents));
    assertTrue(remoteEvents.get(remoteEvents.size() - 1).isEnd(), "" + remoteEvents);
    for (SseEvent e : remoteEvents) assertNoSecret(e.data(), "event " + e.event() + " on the other instance");
    assertEquals("done", onOther.awaitFinal(gid).getString("state"));
  }

  /** Reads into {@code into} up to and with the first {@code event} (or the end); answers the last read. */
  private static SseEvent readUntil(SseConnection stream, String event, List<SseEvent> into) {
    for (SseEvent e; (e = stream.next()) != null; ) {
      into.add(e);
      if (e.event().equals(event) || e.isEnd()) return e;
    }
    throw new AssertionError("the stream closed before " + event + ": " + into);
  }

  private static List<Boolean> heldSignals(List<SseEvent> events) {
    return events.stream().filter(e -> e.event().equals("held")).map(e -> e.json().getBoolean("held")).toList();
  }

  private static String text(List<SseEvent> events) {
    StringBuilder text = new StringBuilder();
    for (SseEvent e : events) if (e.event().equals("chunk")) text.append(e.json().getString("text"));
    return text.toString();
  }

  /** Neither the secret nor a prefix of it the pattern could still complete ("SECRET-", "SECRET-7zq3"...). */
  private static void assertNoSecret(String s, String where) {
    for (int n = 3; n <= SECRET.length(); n++) {
      assertFalse(s.contains(SECRET.substring(0, n)), where + " holds " + SECRET.substring(0, n) + ": " + s);
    }
    assertFalse(s.contains("7zq3"), where + " holds part of the secret: " + s);
  }
}
