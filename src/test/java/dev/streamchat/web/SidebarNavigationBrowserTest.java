package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/** Moving between conversations in the sidebar swaps the page in place, and streams carry on. */
class SidebarNavigationBrowserTest {

  @Test
  void switchingConversationsKeepsThePageAndAStreamingAnswerCarriesOn() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "80"))) {
      Browser browser = SharedBrowser.newVisitor();
      WebDriver page = browser.driver();
      page.get(server.url("/"));
      send(page, "First conversation");
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/c/"));
      String first = page.getCurrentUrl();

      ((JavascriptExecutor) page).executeScript("window.sameDocument = true;");
      page.findElement(By.cssSelector("a.new-chat")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> !d.getCurrentUrl().contains("/c/"));
      assertEquals(Boolean.TRUE, ((JavascriptExecutor) page).executeScript("return window.sameDocument === true;"),
          "New chat swapped the page in place");
      send(page, "Second conversation");
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/c/")
          && !d.getCurrentUrl().equals(first));
      String second = page.getCurrentUrl();

      ((JavascriptExecutor) page).executeScript("window.sameDocument = true;");
      page.findElement(By.cssSelector(".history a[href='" + first.substring(first.indexOf("/c/")) + "']")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().equals(first));
      assertEquals(Boolean.TRUE, ((JavascriptExecutor) page).executeScript("return window.sameDocument === true;"),
          "the sidebar link swapped the page in place");
      assertTrue(page.findElement(By.id("messages")).getText().contains("First conversation"));

      page.findElement(By.cssSelector(".history a[href='" + second.substring(second.indexOf("/c/")) + "']")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().equals(second));
      browser.waitUpTo(Duration.ofSeconds(20)).until(d ->
          "done".equals(d.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state")));
      String shown = page.findElement(By.cssSelector(".msg.assistant .body")).getText();
      assertTrue(shown.replaceAll("\\s+", " ").contains("This is the built-in demo model"), shown);
      assertEquals(Boolean.TRUE, ((JavascriptExecutor) page).executeScript("return window.sameDocument === true;"));
    }
  }

  private static void send(WebDriver page, String text) {
    page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys(text);
    page.findElement(By.cssSelector("#composer button.send")).click();
  }
}
