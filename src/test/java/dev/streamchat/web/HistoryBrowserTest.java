package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The history a person uses, in headless Chromium: the sidebar newest first, rename and delete
 * without reloading the page, and Continue on an answer the server was stopped in the middle of.
 */
class HistoryBrowserTest {

  private static final Map<String, String> QUICK = Map.of("STREAMCHAT_DEMO_TPS", "200", "STREAMCHAT_DEMO_TOKENS", "20");
  private static final Map<String, String> SLOW = Map.of("STREAMCHAT_DEMO_TPS", "20", "STREAMCHAT_DEMO_TOKENS", "5000");

  private static WebDriver browser;
  private static Path dataDir;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor(1400, 1000).driver();
    dataDir = Files.createTempDirectory("streamchat-history");
  }

  @AfterAll
  static void stop() throws Exception {
    if (dataDir != null) TestServer.deleteTree(dataDir);
  }

  private static WebDriverWait waitUpTo(int seconds) {
    return (WebDriverWait) new WebDriverWait(browser, Duration.ofSeconds(seconds))
        .ignoring(StaleElementReferenceException.class);
  }

  /** Sends a message from the composer and waits for its answer to finish. */
  private static void ask(String text) {
    WebElement box = waitUpTo(10).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#composer textarea")));
    box.sendKeys(text, Keys.ENTER);
    waitUpTo(20).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#messages .msg.assistant[data-state='done']")));
  }

  private static List<String> sidebarTitles() {
    return browser.findElements(By.cssSelector("#sidebar .conv a.title")).stream().map(WebElement::getText).toList();
  }

  /** A mark that only survives as long as the page is not reloaded. */
  private static void markPage() {
    ((JavascriptExecutor) browser).executeScript("window.__notReloaded = true;");
  }

  private static boolean pageWasNotReloaded() {
    return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript("return window.__notReloaded === true;"));
  }

  /**
   * Follows a sidebar link and waits for the page it leads to. The sidebar's links are boosted:
   * htmx swaps the page in place, so until the swap the old page's composer is still there and
   * clickable, and keys sent to it are lost with it (stale, or not interactable mid-swap).
   */
  private static void followSidebarLink(By link) {
    WebElement oldComposer = browser.findElement(By.cssSelector("#composer textarea"));
    browser.findElement(link).click();
    waitUpTo(10).until(ExpectedConditions.stalenessOf(oldComposer));
  }

  private static void hoverAndClick(WebElement row, String button) {
    new Actions(browser).moveToElement(row).perform();
    row.findElement(By.cssSelector(button)).click();
  }

  @Test
  void sidebarRenameDeleteAndContinueAfterAnInterruption() throws Exception {
    try (TestServer server = TestServer.startOn(dataDir, QUICK)) {
      browser.get(server.url("/"));
      ask("Alpha question");
      followSidebarLink(By.cssSelector(".new-chat"));
      ask("Beta question");
      assertEquals(List.of("Beta question", "Alpha question"), sidebarTitles(), "newest first, titled by the first message");

      markPage();
      WebElement alpha = browser.findElements(By.cssSelector("#sidebar .conv")).get(1);
      hoverAndClick(alpha, ".rename");
      WebElement input = waitUpTo(5).until(ExpectedConditions.elementToBeClickable(By.cssSelector(".rename-form input")));
      input.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Renamed <alpha>", Keys.ENTER);
      waitUpTo(5).until(d -> sidebarTitles().contains("Renamed <alpha>"));
      assertTrue(pageWasNotReloaded(), "renaming swaps one row, the page stays");

      WebElement renamed = browser.findElements(By.cssSelector("#sidebar .conv")).get(1);
      hoverAndClick(renamed, ".delete");
      waitUpTo(5).until(ExpectedConditions.alertIsPresent()).accept();
      waitUpTo(5).until(d -> sidebarTitles().equals(List.of("Beta question")));
      assertTrue(pageWasNotReloaded(), "deleting removes one row, the page stays");
      browser.navigate().refresh();
      assertEquals(List.of("Beta question"), sidebarTitles(), "the deletion is stored");
    }

    String partial;
    try (TestServer server = TestServer.startOn(dataDir, SLOW)) {
      browser.get(server.url("/"));
      followSidebarLink(By.cssSelector("#sidebar .conv a.title"));
      WebElement box = waitUpTo(10).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#composer textarea")));
      box.sendKeys("Gamma, a long one", Keys.ENTER);
      waitUpTo(20).until(d -> d.findElements(By.cssSelector("#messages .msg.assistant.streaming .body")).stream()
          .anyMatch(b -> b.getText().length() > 60));
    }  // the server stops while the answer is being written

    try (TestServer server = TestServer.startOn(dataDir, QUICK)) {
      browser.get(server.url("/"));
      followSidebarLink(By.cssSelector("#sidebar .conv a.title"));
      WebElement cut = waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(
          By.cssSelector("#messages .msg.assistant[data-state='interrupted']")));
      assertTrue(cut.findElement(By.cssSelector(".badge")).getText().contains("Interrupted"));
      partial = cut.findElement(By.cssSelector(".body")).getText().strip();
      assertTrue(partial.length() > 60, "what was written before the stop is shown");
      markPage();
      cut.findElement(By.cssSelector("button.continue")).click();
      WebElement done = waitUpTo(20).until(ExpectedConditions.presenceOfElementLocated(
          By.cssSelector("#messages .msg.assistant[data-state='done']:last-of-type")));
      String whole = done.findElement(By.cssSelector(".body")).getText().strip();
      assertTrue(whole.length() > partial.length(), "the answer went on");
      assertTrue(whole.startsWith(partial.substring(0, 60)), "it went on from the partial answer, in the same message");
      assertEquals(2, browser.findElements(By.cssSelector("#messages .msg.assistant")).size(), "no new message");
      assertTrue(pageWasNotReloaded(), "Continue swaps the answer in place");
    }
  }
}
