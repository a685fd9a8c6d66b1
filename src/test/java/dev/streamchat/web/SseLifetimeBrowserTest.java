package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
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

  /** Counts the connections opened. */
  private static final String RECORD = """
      window.__opens = 0;
      document.addEventListener('htmx:sseOpen', function () { window.__opens++; });""";

  private static final String BODY = "return document.querySelector('.msg.assistant .body').innerHTML;";

  @Test
  void aStreamOutlivingSeveralConnectionsShowsTheTextOnce() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "110",
        "STREAMCHAT_SSE_MAX_SECONDS", "1", "STREAMCHAT_PAGE_TRANSPORT", "sse"))) {
      Browser browser = SharedBrowser.newVisitor();
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

      // The answer as it streamed over several connections is the stored answer as a fresh page
      // renders it: the same HTML, nothing missing, nothing twice.
      String streamed = (String) js.executeScript(BODY);
      driver.navigate().refresh();
      assertEquals("done", js.executeScript("return document.querySelector('.msg.assistant').dataset.state;"));
      assertEquals(streamed, js.executeScript(BODY), "streamed answer = stored answer, no gap, no duplicate");
      assertTrue(streamed.contains("<strong>demo model</strong>"), streamed);
    }
  }
}
