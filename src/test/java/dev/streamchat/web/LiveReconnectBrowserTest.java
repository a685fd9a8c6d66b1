package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * webroot/live.js in a real browser with DevTools network emulation: offline mid-answer, then
 * online, the page is caught up within a second, with no gap and no duplicate; a stream whose log
 * is gone when the network returns gets an explicit outcome instead of hanging.
 */
class LiveReconnectBrowserTest {

  /** Counts the connections the page's streams open. */
  private static final String RECORD = """
      window.__opens = 0;
      document.addEventListener('htmx:sseOpen', function () { window.__opens++; });""";

  private static final String FIRST_BODY = "return document.querySelector('.msg.assistant .body').innerHTML;";

  private static final String CURSOR = "var s = document.querySelector('[sse-connect]'); return s ? Number(s.dataset.cursor) : -1;";

  private static void network(ChromeDriver driver, boolean offline) {
    driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", offline, "latency", 0,
        "downloadThroughput", -1, "uploadThroughput", -1));
  }

  private static String startAnswer(ChromeDriver driver, TestServer server, Browser browser) {
    driver.get(server.url("/"));
    driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("hello");
    driver.findElement(By.cssSelector("#composer button.send")).click();
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> d.getCurrentUrl().contains("/c/")
        && !d.findElements(By.cssSelector("[sse-connect]")).isEmpty());
    driver.executeScript(RECORD);
    return driver.getCurrentUrl().replaceAll(".*/c/", "");
  }

  private static ApiClient.Reply api(TestServer server, ChromeDriver driver, String method, String path) throws Exception {
    String cookie = driver.manage().getCookieNamed("streamchat_session").getValue();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(path))).header("Cookie", "streamchat_session=" + cookie);
    b = method.equals("POST") ? b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")) : b.GET();
    HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new ApiClient.Reply(r.statusCode(), r.body());
  }

  /** Counts the EventSources and WebSockets the page makes, from before its own scripts run. */
  private static final String COUNT_CONNECTIONS = """
      window.__es = 0; window.__ws = 0;
      (function () {
        var ES = window.EventSource, WS = window.WebSocket;
        window.EventSource = function (u, o) { window.__es++; return new ES(u, o); };
        window.EventSource.prototype = ES.prototype;
        window.EventSource.CONNECTING = 0; window.EventSource.OPEN = 1; window.EventSource.CLOSED = 2;
        window.WebSocket = function (u, p) { window.__ws++; return p === undefined ? new WS(u) : new WS(u, p); };
        window.WebSocket.prototype = WS.prototype;
        window.WebSocket.CONNECTING = 0; window.WebSocket.OPEN = 1; window.WebSocket.CLOSING = 2; window.WebSocket.CLOSED = 3;
      })();""";

  @ParameterizedTest(name = "page transport {0}")
  @ValueSource(strings = {"sse", "websocket", "shared"})
  void offlineThenOnlineCatchesUpWithinASecondWithNoGapOrDuplicate(String transport) throws Exception {
    // Answers of 5 s: the page drops at chunk 10 for 2.5 s (about 50 chunks) and streams live ~2 s after it is back.
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "100",
        "STREAMCHAT_PAGE_TRANSPORT", transport))) {
      Browser browser = SharedBrowser.newVisitor();
      ChromeDriver driver = browser.driver();
      JavascriptExecutor js = driver;
      driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", COUNT_CONNECTIONS));
      String cid = startAnswer(driver, server, browser);
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> ((Number) js.executeScript(CURSOR)).longValue() >= 10);
      String gid = driver.findElement(By.cssSelector(".msg.assistant")).getAttribute("id").substring("msg-".length());

      if (!transport.equals("sse")) {
        assertEquals(0L, js.executeScript("return window.__es;"), "no EventSource: the stream is on the page's socket");
        assertEquals(1L, js.executeScript("return window.__ws;"), "one WebSocket");
      }

      driver.executeCdpCommand("Network.enable", Map.of());
      network(driver, true);
      long cursorAtDrop = ((Number) js.executeScript(CURSOR)).longValue();
      Thread.sleep(2500);
      long cursorOffline = ((Number) js.executeScript(CURSOR)).longValue();
      assertTrue(cursorOffline <= cursorAtDrop + 2, "offline, the stream stopped: " + cursorAtDrop + " -> " + cursorOffline);

      long serverChunks = api(server, driver, "GET", "/api/generations/" + gid).json().getLong("chunks");
      assertTrue(serverChunks > cursorOffline + 20, "the answer went on while the page was offline");
      long onlineAt = System.nanoTime();
      network(driver, false);
      browser.waitUpTo(Duration.ofSeconds(5)).until(d -> ((Number) js.executeScript(CURSOR)).longValue() >= serverChunks);
      long caughtUpMs = (System.nanoTime() - onlineAt) / 1_000_000;
      System.out.printf("live.js over %s: caught up %d chunks %d ms after the network returned%n", transport,
          serverChunks - cursorOffline, caughtUpMs);
      assertTrue(caughtUpMs <= 1000, "caught up within 1 s of the network returning: " + caughtUpMs + " ms");

      browser.waitUpTo(Duration.ofSeconds(30)).until(d ->
          "done".equals(js.executeScript("var a = document.querySelector('.msg.assistant'); return a && a.dataset.state;")));
      String stored = api(server, driver, "GET", "/api/generations/" + gid).json().getString("text");
      String streamed = (String) js.executeScript(FIRST_BODY);
      assertEquals(stored, new JsonObject(api(server, driver, "GET", "/api/conversations/" + cid).body())
          .getJsonArray("messages").getJsonObject(1).getString("content"));
      if (!transport.equals("sse")) {
        assertEquals(0L, js.executeScript("return window.__es;"), "never an EventSource");
        // A second answer in the same page rides the page's socket too.
        long sockets = (Long) js.executeScript("return window.__ws;");
        driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("again");
        driver.findElement(By.cssSelector("#composer button.send")).click();
        browser.waitUpTo(Duration.ofSeconds(30)).until(d -> d.findElements(By.cssSelector(".msg.assistant")).size() == 2
            && "done".equals(js.executeScript("var a = document.querySelectorAll('.msg.assistant')[1]; return a && a.dataset.state;")));
        assertEquals(sockets, js.executeScript("return window.__ws;"), "the second stream on the same socket");
        assertEquals(0L, js.executeScript("return window.__es;"));
      }
      // The answer as it streamed through the drop is the stored answer as a fresh page renders it:
      // the same HTML, nothing missing, nothing twice.
      driver.navigate().refresh();
      assertEquals(streamed, js.executeScript(FIRST_BODY), "streamed answer = stored answer, no gap, no duplicate");
      assertTrue(streamed.contains("<strong>demo model</strong>"), streamed);
    }
  }

  @Test
  void aStreamWhoseLogIsGoneWhenTheNetworkReturnsReloadsFromTheStore() throws Exception {
    // An answer of 2 s: it ends while the page is offline.
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "40"))) {
      Browser browser = SharedBrowser.newVisitor();
      ChromeDriver driver = browser.driver();
      JavascriptExecutor js = driver;
      startAnswer(driver, server, browser);
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> ((Number) js.executeScript(CURSOR)).longValue() >= 3);
      String gid = driver.findElement(By.cssSelector(".msg.assistant")).getAttribute("id").substring("msg-".length());

      driver.executeCdpCommand("Network.enable", Map.of());
      network(driver, true);
      // Meanwhile the answer ends and another tab of the same person regenerates it: the old log is deleted.
      long deadline = System.currentTimeMillis() + 20_000;
      while (api(server, driver, "GET", "/api/generations/" + gid).json().getString("state").equals("running")) {
        assertTrue(System.currentTimeMillis() < deadline, "the answer did not end");
        Thread.sleep(100);
      }
      ApiClient.Reply regenerated = api(server, driver, "POST", "/api/generations/" + gid + "/regenerate");
      assertEquals(202, regenerated.status(), regenerated.body());
      String newGid = regenerated.json().getString("generationId");
      assertEquals(404, api(server, driver, "GET", "/api/generations/" + gid).status(), "the old log is gone");

      network(driver, false);
      browser.waitUpTo(Duration.ofSeconds(5)).until(d -> !d.findElements(By.id("msg-" + newGid)).isEmpty());
      assertTrue(driver.findElements(By.id("msg-" + gid)).isEmpty(), "the page shows what the store holds now");
    }
  }
}
