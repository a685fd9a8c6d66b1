package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * In a real browser: a model that streams reasoning shows it live in the answer's collapsible
 * Reasoning part, apart from the answer, and again after a reload.
 */
class ReasoningPageTest {

  private static FakeProviders fakes;
  private static WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor(800, 600).driver();
    fakes = new FakeProviders(Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fakes != null) fakes.close();
  }

  @Test
  void reasoningStreamsIntoItsOwnPartAndStaysAfterReload() throws Exception {
    List<WireStreams.Piece> pieces = new ArrayList<>();
    pieces.add(new WireStreams.Piece(true, "Thinking <about> it 🤔"));
    pieces.add(new WireStreams.Piece(true, " carefully."));
    for (int i = 0; i < 40; i++) pieces.add(new WireStreams.Piece(false, " word" + i));
    fakes.onChat(Protocol.OPENAI, FakeProviders.answer(Protocol.OPENAI, pieces, 40));
    String reasoning = WireStreams.reasoning(pieces);

    browser.get(fakes.app.url("/"));
    new Select(browser.findElement(By.name("model"))).selectByValue(Protocol.OPENAI.modelId);
    browser.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Think first");
    browser.findElement(By.cssSelector("#composer button.send")).click();

    // The finished answer replaces its element (outerHTML swap): an element found just before may go stale.
    var wait = new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class);
    WebElement answer = wait.until(d -> d.findElement(By.cssSelector("article.msg.assistant")));
    // Live: the reasoning is complete and visible while the answer is still being written.
    wait.until(d -> reasoningText(d).equals(reasoning));
    assertTrue(answer.getAttribute("class").contains("streaming"), "seen live, before the answer ended");
    assertTrue(browser.findElement(By.cssSelector("details.reasoning")).isDisplayed(), "the Reasoning part shows");

    wait.until(d -> "done".equals(d.findElement(By.cssSelector("article.msg.assistant")).getAttribute("data-state")));
    assertEquals(reasoning, reasoningText(browser));
    String body = browser.findElement(By.cssSelector("article.msg.assistant .body")).getText();
    assertTrue(body.startsWith("word0 word1"), body);
    assertTrue(!body.contains("Thinking"), "reasoning is kept apart from the answer");

    browser.navigate().refresh();
    assertEquals(reasoning, reasoningText(browser), "after a reload");
    assertTrue(browser.findElement(By.cssSelector("details.reasoning")).isDisplayed());
  }

  private static String reasoningText(WebDriver d) {
    return d.findElement(By.cssSelector("article.msg.assistant .reasoning-text")).getAttribute("textContent");
  }
}
