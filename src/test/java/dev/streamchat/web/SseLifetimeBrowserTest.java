package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The chat page across connections the server ends at their lifetime: the browser reconnects by
 * itself and app.js's cursor keeps the text free of gaps and duplicates.
 */
class SseLifetimeBrowserTest {

  /** Records the streamed text after every chunk event and counts the connections opened. */
  private static final String RECORD = """
      window.__raw = null; window.__opens = 0;
      document.addEventListener('htmx:sseOpen', function () { window.__opens++; });
      document.addEventListener('htmx:sseMessage', function (e) {
        var raw = document.querySelector('.msg.assistant .body.raw');
        if (raw && e.detail.type === 'chunk') window.__raw = raw.textContent;
      });""";

  @Test
  void aStreamOutlivingSeveralConnectionsShowsTheTextOnce() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "70",
        "STREAMCHAT_SSE_MAX_SECONDS", "1", "STREAMCHAT_PAGE_TRANSPORT", "sse"));
        Browser browser = Browser.open()) {
      ChromeDriver driver = browser.driver();
      JavascriptExecutor js = driver;
      driver.get(server.url("/"));
      driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("hello");
      driver.findElement(By.cssSelector("#composer button.send")).click();
      long deadline = System.currentTimeMillis() + 15_000;
      while (!driver.getCurrentUrl().contains("/c/")) {
        assertTrue(System.currentTimeMillis() < deadline, "no conversation page");
        Thread.sleep(20);
      }
      js.executeScript(RECORD);
      deadline = System.currentTimeMillis() + 30_000;
      while (!"done".equals(js.executeScript("var a = document.querySelector('.msg.assistant'); return a && a.dataset.state;"))) {
        assertTrue(System.currentTimeMillis() < deadline, "the answer did not finish");
        Thread.sleep(50);
      }
      long opens = ((Number) js.executeScript("return window.__opens;")).longValue();
      assertTrue(opens >= 2, "the page reconnected after the server ended its stream: " + opens + " opens");

      String cid = driver.getCurrentUrl().replaceAll(".*/c/", "");
      String cookie = driver.manage().getCookieNamed("streamchat_session").getValue();
      JsonObject conversation = new JsonObject(HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.url("/api/conversations/" + cid)))
              .header("Cookie", "streamchat_session=" + cookie).build(), HttpResponse.BodyHandlers.ofString()).body());
      String stored = conversation.getJsonArray("messages").getJsonObject(1).getString("content");
      assertEquals(stored, js.executeScript("return window.__raw;"), "streamed text = stored text, no gap, no duplicate");
    }
  }
}
