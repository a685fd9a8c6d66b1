package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/** What a person sees in a real browser: streaming, reload mid-answer, Stop. */
class ChatPageBrowserTest {

  @Test
  void anAnswerStreamsSurvivesAReloadAndShowsOnceThenStopEndsTheNextOne() throws Exception {
    // 48 tokens: the demo's prose introduction (no tables or math), whose words read the same in its
    // Markdown and on the page, so the page's text can be compared with the stored text.
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "16", "STREAMCHAT_DEMO_TOKENS", "48"))) {
      Browser browser = SharedBrowser.newVisitor();
      WebDriver page = browser.driver();
      page.get(server.url("/"));
      assertTrue(page.findElement(By.cssSelector(".demo-banner")).getText().contains("demo model"),
          "the page says the demo model is a demo");

      long sentAt = System.nanoTime();
      page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Hello, who are you?");
      page.findElement(By.cssSelector("#composer button.send")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> !answerText(d).isEmpty());
      System.out.printf("browser: first token on the page %.0f ms after Send (incl. the redirect to the chat)%n",
          (System.nanoTime() - sentAt) / 1e6);
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> answerText(d).length() > 40);

      // Reload mid-answer: the text so far is there at once, and the rest flows on.
      String before = answerText(page);
      page.navigate().refresh();
      assertEquals("running", answer(page).getAttribute("data-state"), "still running after the reload");
      String rendered = answerText(page);
      assertTrue(rendered.length() >= before.length() && rendered.startsWith(before.substring(0, 30)),
          "the server rendered the text so far: " + rendered);
      browser.screenshot("chat-streaming");

      // Drop the stream twice the way a network does: htmx's SSE extension then opens a new
      // EventSource (with no Last-Event-ID) on the connect URL, which must carry the cursor.
      for (int drop = 0; drop < 2; drop++) {
        browser.waitUpTo(Duration.ofSeconds(5)).until(d -> answerText(d).length() > rendered.length() + 10 * 2);
        ((org.openqa.selenium.JavascriptExecutor) page).executeScript(
            "var el = document.querySelector('[sse-connect]');"
            + "var src = el['htmx-internal-data'].sseEventSource; src.close(); src.onerror(new Event('error'));");
      }
      browser.waitUpTo(Duration.ofSeconds(5)).until(d -> answerText(d).length() > rendered.length() + 60);
      String midStream = answerText(page);
      assertEquals("running", answer(page).getAttribute("data-state"), "sampled while streaming");

      browser.waitUpTo(Duration.ofSeconds(20)).until(d -> "done".equals(answer(d).getAttribute("data-state")));
      JsonObject conversation = api(page, "/api/conversations/" + conversationId(page));
      String stored = conversation.getJsonArray("messages").getJsonObject(1).getString("content");
      assertTrue(plain(stored).startsWith(plain(midStream)),
          "while streaming, after two dropped connections, the page showed a prefix of the answer, nothing twice:\n"
              + midStream);
      String shown = answer(page).findElement(By.cssSelector(".body")).getText();
      assertEquals(plain(stored), plain(shown), "the page shows the stored answer, whole and once");
      String lastSentence = stored.substring(stored.lastIndexOf(' ', stored.length() - 25)).strip();
      assertEquals(1, count(page.findElement(By.id("messages")).getText(), plain(lastSentence)),
          "the end of the answer appears exactly once");
      assertEquals(1, page.findElements(By.cssSelector(".msg.assistant")).size());
      browser.screenshot("chat-done");

      // A second answer, stopped by the person.
      page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Another one, please");
      long secondSentAt = System.nanoTime();
      page.findElement(By.cssSelector("#composer button.send")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector(".msg.assistant")).size() == 2
          && !lastAnswerText(d).isEmpty());
      System.out.printf("browser: first token on the page %.0f ms after Send in an open conversation%n",
          (System.nanoTime() - secondSentAt) / 1e6);
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> lastAnswerText(d).length() > 20);
      lastAnswer(page).findElement(By.cssSelector("button.stop")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "stopped".equals(lastAnswer(d).getAttribute("data-state")));
      assertEquals("Stopped", lastAnswer(page).findElement(By.cssSelector(".badge")).getText());
      JsonObject after = api(page, "/api/conversations/" + conversationId(page));
      JsonObject second = after.getJsonArray("messages").getJsonObject(3);
      assertEquals("stopped", second.getString("state"));
      assertTrue(second.getString("content").length() < stored.length(), "stopped before the end");
      assertEquals(plain(second.getString("content")), plain(lastAnswer(page).findElement(By.cssSelector(".body")).getText()));
      assertFalse(page.getPageSource().contains("<script>alert"), "sanity: no script injected");
      browser.screenshot("chat-stopped");
    }
  }

  private static WebElement answer(WebDriver d) {
    return d.findElement(By.cssSelector(".msg.assistant"));
  }

  private static WebElement lastAnswer(WebDriver d) {
    List<WebElement> all = d.findElements(By.cssSelector(".msg.assistant"));
    return all.get(all.size() - 1);
  }

  private static String answerText(WebDriver d) {
    List<WebElement> bodies = d.findElements(By.cssSelector(".msg.assistant .body"));
    return bodies.isEmpty() ? "" : bodies.get(0).getText();
  }

  private static String lastAnswerText(WebDriver d) {
    return lastAnswer(d).findElement(By.cssSelector(".body")).getText();
  }

  private static String conversationId(WebDriver d) {
    String url = d.getCurrentUrl();
    return url.substring(url.lastIndexOf("/c/") + 3);
  }

  /** Calls the API from the page, with the page's own session. */
  private static JsonObject api(WebDriver d, String path) {
    Object body = ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
        "var x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return x.responseText;", path);
    return new JsonObject((String) body);
  }

  /** The words of a text with Markdown's emphasis and code marks dropped, spaces folded. */
  private static String plain(String s) {
    return s.replace("**", "").replace("`", "").replaceAll("\\s+", " ").strip();
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int i = plain(haystack).indexOf(needle); i >= 0; i = plain(haystack).indexOf(needle, i + 1)) n++;
    return n;
  }
}
