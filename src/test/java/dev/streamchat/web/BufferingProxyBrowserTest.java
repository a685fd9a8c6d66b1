package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.Nginx;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * A real nginx in front of streamchat. With buffering on (and the app's X-Accel-Buffering: no
 * ignored, as a careless config does) the page tells the person that a proxy buffers the answer
 * and the admin API and page flag the viewer; with buffering off, no notice and no flag.
 */
class BufferingProxyBrowserTest {

  private static final String TOKEN = "proxy-test-admin-token-0123456789";
  /**
   * A proxy that holds the stream back: buffering on, the app's X-Accel-Buffering: no ignored, and
   * text/event-stream compressed. (Buffering alone still passes each read on at once on loopback;
   * the compressor is what waits for its block to fill, here until the answer ends.)
   */
  private static final String HOLDS_BACK = """
      proxy_buffering on;
      proxy_ignore_headers X-Accel-Buffering;
      proxy_buffer_size 4k;
      proxy_buffers 8 64k;
      proxy_busy_buffers_size 64k;
      gzip on;
      gzip_types text/event-stream;
      gzip_proxied any;
      gzip_min_length 0;""";

  /** nginx in front of the app, passing the stream through or (with {@code holdsBack}) holding it back. */
  private static Nginx nginx(TestServer server, boolean holdsBack) throws Exception {
    return holdsBack ? new Nginx(List.of(server.port()), HOLDS_BACK) : new Nginx(List.of(server.port()));
  }

  private static JsonArray flagged(TestServer server) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url("/api/admin/proxies")))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonArray(r.body());
  }

  private static String adminPage(TestServer server) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url("/admin")))
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Asks a question through the proxy and waits for the answer to end; true when the notice showed. */
  private static boolean askThrough(Nginx nginx, Browser browser) {
    ChromeDriver driver = browser.driver();
    JavascriptExecutor js = driver;
    driver.get(nginx.url("/"));
    driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("hello through a proxy");
    driver.findElement(By.cssSelector("#composer button.send")).click();
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> d.getCurrentUrl().contains("/c/"));
    boolean[] noticed = {false};
    browser.waitUpTo(Duration.ofSeconds(30)).until(d -> {
      noticed[0] |= Boolean.TRUE.equals(js.executeScript("var n = document.getElementById('proxy-notice'); return !!n && !n.hidden;"));
      return "done".equals(js.executeScript("var a = document.querySelector('.msg.assistant'); return a && a.dataset.state;"));
    });
    return noticed[0];
  }

  @Test
  void aBufferingProxyIsNoticedByThePageAndFlaggedForTheAdminAndACleanOneIsNot() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN, "STREAMCHAT_PAGE_TRANSPORT", "sse",
        "STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "140"))) {
      Browser browser = SharedBrowser.newVisitor();
      try (Nginx clean = nginx(server, false)) {
        assertFalse(askThrough(clean, browser), "no notice through a proxy that passes the stream through");
        assertEquals(0, flagged(server).size(), "no viewer flagged: " + flagged(server).encode());
        assertTrue(adminPage(server).contains("None reported"));
      }

      try (Nginx buffering = nginx(server, true)) {
        long sentAt = System.nanoTime();
        assertTrue(askThrough(buffering, browser), "the page told the person that a proxy buffers the answer");
        System.out.printf("buffering proxy: noticed and answer ended %d ms after Send%n", (System.nanoTime() - sentAt) / 1_000_000);
        browser.screenshot("proxy-notice");
        JsonArray flagged = flagged(server);
        assertEquals(1, flagged.size(), flagged.encode());
        JsonObject viewer = flagged.getJsonObject(0);
        assertTrue(viewer.getString("kind").equals("silent") || viewer.getString("kind").equals("lumps"), viewer.encode());
        assertEquals("127.0.0.1", viewer.getString("forwardedFor"), "what the proxy said about the viewer");
        String admin = adminPage(server);
        assertTrue(admin.contains("data-session=\"" + viewer.getString("session") + "\""), "the admin page lists the viewer");
        assertTrue(admin.contains("proxy_buffering off") && admin.contains("flushpackets=on")
            && admin.contains("flush_interval -1"), "and says how to fix nginx, Apache and Caddy");
      }
    }
  }

  @Test
  void behindAProxyThatRefusesWebSocketsThePageFallsBackToEventSources() throws Exception {
    // The default transport (tabs sharing a WebSocket) through an nginx with no Upgrade headers set.
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN,
        "STREAMCHAT_DEMO_TPS", "30", "STREAMCHAT_DEMO_TOKENS", "60"));
        Nginx plain = nginx(server, false)) {
      Browser browser = SharedBrowser.newVisitor();
      assertFalse(askThrough(plain, browser), "the answer streamed to its end, and no false alarm");
      String cid = browser.driver().getCurrentUrl().replaceAll(".*/c/", "");
      String cookie = browser.driver().manage().getCookieNamed("streamchat_session").getValue();
      JsonObject conversation = new JsonObject(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create(server.url("/api/conversations/" + cid))).header("Cookie", "streamchat_session=" + cookie).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertEquals("done", conversation.getJsonArray("messages").getJsonObject(1).getString("state"));
    }
  }
}
