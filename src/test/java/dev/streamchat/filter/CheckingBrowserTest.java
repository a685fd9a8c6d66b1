package dev.streamchat.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.GatedOpenAi;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * While a redaction rule holds text back, the chat page says so discreetly ("checking…") and shows
 * no part of what is held: a fake model streams the start of a secret and waits (until the test
 * has looked), then writes the rest. On every page transport the note comes while the text is
 * held and goes when the redacted text appears. The API's held event (SSE and /api/ws) says only
 * whether text is held.
 */
class CheckingBrowserTest {

  /**
   * Its digits include letters no UUID or hex id on the page can hold ("q", "z"), so finding a
   * piece of it in the page source means the secret leaked, not that an id happened to match.
   */
  private static final String SECRET = "SECRET-7zq39c2e1b4d";
  /**
   * The model's answer: its first piece, then (once the test has seen it arrive, so the viewer is
   * following live before anything is held) the start of the secret, then it waits until the test
   * lets it go on. A viewer that joins while text is held may not be told; this one is there before.
   */
  private static final String FIRST = "The token ";
  private static final List<String> BEFORE = List.of("is ", "SECRET-", "7zq3");
  private static final List<String> AFTER = List.of("9c2e1b4d", ", do not ", "share it.");
  private static final String SHOWN = "The token is [redacted], do not share it.";

  /** The model: the first piece, gate, the start of the secret, gate, the rest. */
  private static GatedOpenAi model;
  /** One app per page transport, started when a test first asks for it; one browser for all. */
  private static final Map<String, TestServer> servers = new HashMap<>();
  private static Browser browser;

  @BeforeAll
  static void start() throws Exception {
    model = new GatedOpenAi(List.of(FIRST), BEFORE, AFTER);
  }

  @AfterAll
  static void stop() throws Exception {
    model.close(); // first: it lets any answer still at a gate go on
    for (TestServer s : servers.values()) s.close();
  }

  private static TestServer app(String transport) throws Exception {
    TestServer app = servers.get(transport);
    if (app == null) {
      Map<String, String> env = new HashMap<>(model.env());
      env.putAll(Map.of("STREAMCHAT_REDACT", "SECRET-[0-9a-z]{12}", "STREAMCHAT_PAGE_TRANSPORT", transport));
      app = TestServer.start(env);
      servers.put(transport, app);
    }
    return app;
  }

  @ParameterizedTest(name = "page transport {0}")
  @ValueSource(strings = {"shared", "websocket", "sse"})
  void whileTextIsHeldThePageSaysCheckingAndShowsNoPartOfIt(String transport) throws Exception {
    model.shutGates();
    TestServer app = app(transport);
    if (browser == null) browser = SharedBrowser.newVisitor(1280, 900);
    ChromeDriver page = browser.driver();
    page.get(app.url("/"));
    page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("What is the token?");
    page.findElement(By.cssSelector("#composer button.send")).click();
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> d.findElements(By.cssSelector(".msg.assistant .body")).stream()
        .anyMatch(b -> b.getText().strip().equals("The token")));
    model.open(); // seen: on to the start of the secret
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> !d.findElements(By.cssSelector(".msg.assistant .held-slot .checking")).isEmpty());
    var slot = page.findElement(By.cssSelector(".msg.assistant .held-slot"));
    assertEquals("checking…", slot.getText());
    assertEquals("status", slot.getAttribute("role"), "announced politely, once");
    String body = page.findElement(By.cssSelector(".msg.assistant .body")).getText();
    assertEquals("The token is", body.strip(), "the released text shows, the held text does not");
    assertNoSecret(page.getPageSource(), "the page while the text is held");
    if (transport.equals("shared")) browser.screenshots("checking");

    model.open(); // looked: on to the rest
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> "done".equals(
        d.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state")));
    assertEquals(SHOWN, page.findElement(By.cssSelector(".msg.assistant .body")).getText().strip());
    assertTrue(page.findElements(By.cssSelector(".msg.assistant .held-slot .checking")).stream().noneMatch(e -> e.isDisplayed()),
        "the note is gone at the end");
    assertNoSecret(page.getPageSource(), "the page at the end");
  }

  @Test
  void theApiHeldEventSaysOnlyWhetherTextIsHeld() throws Exception {
    model.shutGates();
    TestServer app = app("shared");
    ApiClient client = app.client();
    String gid = client.ask(client.newConversation(), "What is the token?", FakeOpenAi.MODEL, null);
    List<SseEvent> events = new ArrayList<>();
    // The same over /api/ws.
    WebSocketClient sockets = app.vertx().createWebSocketClient();
    LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
    WebSocket ws = sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(app.port())
        .setURI("/api/ws").addHeader("Cookie", client.cookieHeader())).toCompletionStage().toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
    ws.textMessageHandler(t -> messages.add(new JsonObject(t)));
    ws.writeTextMessage(new JsonObject().put("subscribe", gid).encode());
    JsonObject firstOverSocket = messages.poll(20, TimeUnit.SECONDS);
    assertEquals(FIRST, firstOverSocket.getString("text"), firstOverSocket.encode());
    try (SseConnection stream = client.events(gid, null, null)) {
      // The model waits mid-secret: the stream says text is held, with nothing of it.
      for (SseEvent e; (e = stream.next()) != null; ) {
        events.add(e);
        if (e.event().equals("chunk") && e.json().getString("text").equals(FIRST)) model.open();
        if (e.event().equals("held")) break;
      }
      assertEquals("held", events.get(events.size() - 1).event(), "a held event while the model waits: " + events);
      model.open(); // looked: on to the rest
      for (SseEvent e; (e = stream.next()) != null; ) events.add(e);
    }
    StringBuilder text = new StringBuilder();
    boolean redactedSeen = false;
    for (SseEvent e : events) {
      assertNoSecret(e.data(), "event " + e.event());
      if (e.event().equals("held")) {
        JsonObject held = new JsonObject(e.data());
        assertEquals(1, held.size(), "a held event carries one field: " + e.data());
        assertTrue(held.getValue("held") instanceof Boolean, e.data());
        assertEquals(null, e.id(), "a held event is no resume point");
        if (held.getBoolean("held")) assertFalse(redactedSeen, "held before the secret's part is released");
      }
      if (e.event().equals("chunk")) {
        text.append(e.json().getString("text"));
        redactedSeen |= text.toString().contains("[redacted]");
      }
    }
    assertEquals(SHOWN, text.toString());
    assertEquals("done", client.awaitFinal(gid).getString("state"));
    List<JsonObject> overSocket = new ArrayList<>();
    for (JsonObject m; (m = messages.poll(20, TimeUnit.SECONDS)) != null; ) {
      overSocket.add(m);
      assertNoSecret(m.encode(), "message " + m.getString("event"));
      if (m.getString("event").equals("end")) break;
    }
    ws.close();
    sockets.close();
    assertEquals(new JsonObject().put("gid", gid).put("event", "held").put("held", true),
        overSocket.stream().filter(m -> m.getString("event").equals("held")).findFirst().orElseThrow(),
        "over the socket: " + overSocket);
    for (JsonObject m : overSocket) {
      if (m.getString("event").equals("held")) assertEquals(java.util.Set.of("gid", "event", "held"), m.fieldNames());
    }
    // A replay knows nothing of what was held: chunks and the end only.
    assertTrue(client.readAll(gid, null, null).stream().noneMatch(e -> e.event().equals("held")));
  }

  /** Neither the secret nor a prefix of it the pattern could still complete ("SECRET-", "SECRET-7zq3"...). */
  private static void assertNoSecret(String s, String where) {
    for (int n = 3; n <= SECRET.length(); n++) {
      assertFalse(s.contains(SECRET.substring(0, n)), where + " holds " + SECRET.substring(0, n) + ": " + s);
    }
    assertFalse(s.contains("7zq3"), where + " holds part of the secret: " + s);
  }
}
