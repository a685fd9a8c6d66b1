package dev.streamchat.stream.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.RoundRobinProxy;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestDatabase;
import dev.streamchat.testing.TestRedis;
import dev.streamchat.testing.TestServer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * A person in a real browser, through a round-robin balancer over three instances: sends a
 * message, reloads the page while the answer streams, and the answer streams on to the end,
 * whole and once, whichever instances served the page, the form and the event streams.
 */
class ClusterBrowserTest {

  /** The answer as the page shows it: rendered Markdown, built up block by block while it streams. */
  private static final String BODY = "return document.querySelector('.msg.assistant .body').innerHTML;";
  private static final String TEXT_LENGTH =
      "var b = document.querySelector('.msg.assistant .body'); return b ? b.textContent.length : 0;";

  @Test
  void sendReloadAndTheAnswerStreamsOnThroughTheBalancer() throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql"); TestRedis redis = TestRedis.machine();
         TestServer one = TestServer.instance(env(db, redis)); TestServer two = TestServer.instance(env(db, redis));
         TestServer three = TestServer.instance(env(db, redis))) {
      List<TestServer> instances = List.of(one, two, three);
      try (RoundRobinProxy proxy = new RoundRobinProxy(instances.stream().map(TestServer::port).toList())) {
        Browser browser = SharedBrowser.newVisitor();
        ChromeDriver driver = browser.driver();
        JavascriptExecutor js = driver;
        driver.get(proxy.url("/"));
        driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("hello");
        driver.findElement(By.cssSelector("#composer button.send")).click();
        long deadline = System.currentTimeMillis() + 15_000;
        while (!driver.getCurrentUrl().contains("/c/")) {
          assertTrue(System.currentTimeMillis() < deadline, "no conversation page");
          Thread.sleep(20);
        }
        deadline = System.currentTimeMillis() + 15_000;
        while (((Number) js.executeScript(TEXT_LENGTH)).longValue() < 20) { // some of the answer streams in
          assertTrue(System.currentTimeMillis() < deadline, "no text of the answer");
          Thread.sleep(20);
        }
        driver.navigate().refresh();
        deadline = System.currentTimeMillis() + 30_000;
        while (!"done".equals(js.executeScript("var a = document.querySelector('.msg.assistant'); return a && a.dataset.state;"))) {
          assertTrue(System.currentTimeMillis() < deadline, "the answer did not finish after the reload");
          Thread.sleep(50);
        }
        // What streamed in after the reload completes the answer exactly: the page's HTML equals
        // what a fresh page renders from the stored answer (nothing missing, nothing twice), and
        // the stored answer, read through another instance, is the answer the page carries.
        String streamed = (String) js.executeScript(BODY);
        String cid = driver.getCurrentUrl().replaceAll(".*/c/", "");
        String cookie = driver.manage().getCookieNamed("streamchat_session").getValue();
        ApiClient api = ApiClient.of(instances.get(2).url(""));
        var conversation = api.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(instances.get(2).url("/api/conversations/" + cid))).header("Cookie", "streamchat_session=" + cookie));
        assertEquals(200, conversation.status(), conversation.body());
        String stored = conversation.json().getJsonArray("messages").getJsonObject(1).getString("content");
        assertEquals(stored, js.executeScript("return document.querySelector('.msg.assistant').dataset.markdown;"),
            "the page's answer is the stored answer");
        driver.navigate().refresh();
        assertEquals(streamed, js.executeScript(BODY), "after the reload the answer streamed on, whole and once");
        assertTrue(streamed.contains("<strong>demo model</strong>"), streamed);
        assertTrue(new HashSet<>(proxy.routed()).size() >= 2, "more than one instance served the browser: " + proxy.routed());
      }
    }
  }

  private static Map<String, String> env(TestDatabase db, TestRedis redis) {
    // An answer of almost 4 s: the page is reloaded a fraction of a second into it.
    return db.env(redis.env(Map.of("STREAMCHAT_DEMO_TPS", "40", "STREAMCHAT_DEMO_TOKENS", "150")));
  }
}
