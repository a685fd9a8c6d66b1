package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The chat page as a person uses it, in headless Chromium against fake model servers: the
 * composer sends and stops, the page follows the newest text unless the reader scrolled away,
 * thinking is timed, Retry and Regenerate swap in place (with versions), Copy gives Markdown, and
 * the keyboard reaches every control.
 */
class ComposerBrowserTest {

  private static FakeProviders fakes;
  private static Browser browser;
  private static ChromeDriver page;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor(1200, 900);
    fakes = new FakeProviders(Map.of());
    page = browser.driver();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fakes != null) fakes.close();
  }

  private static Object js(String script, Object... args) {
    return ((JavascriptExecutor) page).executeScript(script, args);
  }

  /** A new chat with the fake OpenAI model, its first message sent; waits for the conversation page. */
  private static void startChat(String text) {
    page.get(fakes.app.url("/"));
    new Select(page.findElement(By.name("model"))).selectByValue(Protocol.OPENAI.modelId);
    page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys(text);
    page.findElement(By.id("send")).click();
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/c/")
        && !d.findElements(By.cssSelector("#messages .msg.assistant")).isEmpty());
  }

  private static WebElement lastAnswer(WebDriver d) {
    List<WebElement> all = d.findElements(By.cssSelector("#messages .msg.assistant"));
    return all.get(all.size() - 1);
  }

  private static String lastState(WebDriver d) {
    return lastAnswer(d).getAttribute("data-state");
  }

  private static String lastBody(WebDriver d) {
    return lastAnswer(d).findElement(By.cssSelector(".body")).getText();
  }

  private static void markPage() {
    js("window.__notReloaded = true;");
  }

  private static boolean pageWasNotReloaded() {
    return Boolean.TRUE.equals(js("return window.__notReloaded === true;"));
  }

  private static long distanceFromBottom() {
    return ((Number) js("var e = document.scrollingElement; return e.scrollHeight - e.scrollTop - e.clientHeight;")).longValue();
  }

  @Test
  void sendBecomesStopWhileAnAnswerRunsEscStopsItAndStaleNoticesGo() {
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(PageTalk.words("word ".repeat(3000)), 5, 10));
    startChat("A long answer, please");
    WebElement input = page.findElement(By.cssSelector("#composer textarea[name=content]"));
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> !lastBody(d).isEmpty());
    assertEquals(input, page.switchTo().activeElement(), "the composer has the focus on load");
    assertFalse(page.findElement(By.id("send")).isDisplayed(), "no Send while an answer is written");
    assertTrue(page.findElement(By.id("stop-answer")).isDisplayed(), "Stop in its place");
    assertEquals("true", lastAnswer(page).getAttribute("aria-busy"), "the answer is busy while it streams");

    // A second message while the answer runs is refused with a notice (a form submitted by a script).
    js("htmx.trigger(document.getElementById('composer'), 'submit');");
    input.sendKeys("too soon");
    js("htmx.trigger(document.getElementById('composer'), 'submit');");
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> !d.findElement(By.id("notice")).getText().isEmpty());

    input.sendKeys(Keys.ESCAPE);
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "stopped".equals(lastState(d)));
    browser.waitUpTo(Duration.ofSeconds(2)).until(d -> d.findElement(By.id("send")).isDisplayed());
    assertFalse(page.findElement(By.id("stop-answer")).isDisplayed(), "Stop turns back into Send");
    assertEquals("", page.findElement(By.id("notice")).getText(), "the notice went once the answer ended");
    assertEquals(null, lastAnswer(page).getAttribute("aria-busy"));

    // The composer's own Stop, and Send again.
    input.clear();
    input.sendKeys("Another long one", Keys.ENTER);
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector("#messages .msg.assistant")).size() == 2
        && !lastBody(d).isEmpty());
    assertEquals(input, page.switchTo().activeElement(), "the composer keeps the focus after sending");
    assertEquals("", input.getAttribute("value"), "and is empty");
    page.findElement(By.id("stop-answer")).click();
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "stopped".equals(lastState(d)));
    browser.waitUpTo(Duration.ofSeconds(2)).until(d -> d.findElement(By.id("send")).isDisplayed());
  }

  @Test
  void aReaderWhoScrolledUpStaysThereAndNewTextTakesThemDown() {
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(PageTalk.paragraphs(400), 40, 40));
    startChat("Many paragraphs");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> ((Number) js(
        "return document.scrollingElement.scrollHeight - window.innerHeight;")).longValue() > 600);
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> distanceFromBottom() < 40);

    js("window.scrollBy(0, -120);");
    long at = ((Number) js("return window.scrollY;")).longValue();
    int before = lastBody(page).length();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).length() > before + 300);
    assertEquals(at, ((Number) js("return window.scrollY;")).longValue(), "a scroll of 120 px up is respected");
    WebElement jump = page.findElement(By.id("jump"));
    assertTrue(jump.isDisplayed(), "the reader is told there is new text below");
    assertEquals("↓ new text", jump.getText());

    jump.click();
    assertTrue(distanceFromBottom() < 40, "the control takes the reader to the newest text");
    assertFalse(jump.isDisplayed());
    int now = lastBody(page).length();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).length() > now + 300);
    assertTrue(distanceFromBottom() < 40, "and the page follows the text again");
    page.findElement(By.id("stop-answer")).click();
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "stopped".equals(lastState(d)));
  }

  @Test
  void thinkingIsTimedAndAnOpenedReasoningBoxStaysOpenWhenTheAnswerEnds() throws Exception {
    List<WireStreams.Piece> pieces = new ArrayList<>();
    for (int i = 0; i < 30; i++) pieces.add(new WireStreams.Piece(true, "thinking step " + i + ". "));
    pieces.addAll(PageTalk.words("The answer after some thought. ".repeat(8)));
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(pieces, 0, 60));
    startChat("Think about it");

    WebElement label = browser.waitUpTo(Duration.ofSeconds(5)).until(d -> {
      WebElement l = lastAnswer(d).findElement(By.cssSelector(".reasoning-label"));
      return l.isDisplayed() && l.getText().matches("Thinking… \\d+ s") ? l : null;
    });
    assertNotNull(label);
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastAnswer(d).findElement(By.cssSelector(".reasoning-label"))
        .getText().matches("Thinking… [1-9]\\d* s"));
    lastAnswer(page).findElement(By.cssSelector("details.reasoning summary")).click();
    browser.screenshot("thinking-live");
    browser.waitUpTo(Duration.ofSeconds(20)).until(d -> "done".equals(lastState(d)));
    browser.waitUpTo(Duration.ofSeconds(2)).until(d -> lastAnswer(d).findElement(By.cssSelector(".reasoning-label"))
        .getText().matches("Thought for \\d+ s"));
    String thought = lastAnswer(page).findElement(By.cssSelector(".reasoning-label")).getText();
    int seconds = Integer.parseInt(thought.replaceAll("\\D", ""));
    assertTrue(seconds >= 1 && seconds <= 5, "30 reasoning pieces 60 ms apart take about 2 s: " + thought);
    assertNotNull(lastAnswer(page).findElement(By.cssSelector("details.reasoning")).getAttribute("open"),
        "the reasoning the reader opened stays open after the answer's element is replaced");
    // A screen reader hears the finished answer once, from one live region; the list itself is not live.
    assertEquals(null, page.findElement(By.id("messages")).getAttribute("aria-live"));
    assertEquals(1, page.findElements(By.cssSelector("[aria-live]")).size());
    browser.waitUpTo(Duration.ofSeconds(2)).until(d -> d.findElement(By.id("announcer")).getAttribute("textContent")
        .equals("Answer: " + lastBody(d).strip()));
    browser.screenshot("thinking-done");
  }

  @Test
  void retryReplacesTheFailedAnswerInPlace() {
    fakes.onChat(Protocol.OPENAI, (req, ex) -> ex.reply(503, "application/json", "{\"error\":{\"message\":\"overloaded\"}}"));
    startChat("Will this fail?");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "failed".equals(lastState(d)));
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(PageTalk.words("It works now. "), 0, 0));
    markPage();
    lastAnswer(page).findElement(By.cssSelector("button.retry")).click();
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));
    assertEquals(1, page.findElements(By.cssSelector("#messages .msg.user")).size(), "the question once");
    assertEquals(1, page.findElements(By.cssSelector("#messages .msg.assistant")).size(), "the answer once");
    assertEquals("It works now.", lastBody(page).strip());
    assertTrue(page.findElements(By.cssSelector("button.retry")).isEmpty(), "no Retry left behind");
    assertTrue(pageWasNotReloaded(), "Retry swaps the answer in place");
    page.navigate().refresh();
    assertEquals(2, page.findElements(By.cssSelector("#messages .msg")).size(), "and so it is stored");
  }

  @Test
  void regenerateKeepsEarlierVersionsToSwitchBetweenAndSaysWhichModelWrote() throws Exception {
    fakes.onChat(Protocol.OPENAI, PageTalk.inTurn(n -> PageTalk.paced(PageTalk.words("Answer number " + n + "."), 0, 0)));
    startChat("Say a number");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));
    assertEquals(Protocol.OPENAI.modelId, lastAnswer(page).findElement(By.cssSelector(".model")).getText());
    assertTrue(lastAnswer(page).findElements(By.cssSelector(".versions")).isEmpty(), "one version: no switch");
    for (int n = 2; n <= 3; n++) {
      int expected = n;
      lastAnswer(page).findElement(By.cssSelector("button.regenerate")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d))
          && lastBody(d).equals("Answer number " + expected + "."));
      assertEquals(expected + "/" + expected, lastAnswer(page).findElement(By.cssSelector(".versions .count")).getText(),
          "the switch survives the end of the stream");
    }
    browser.screenshot("versions");
    lastAnswer(page).findElement(By.cssSelector(".versions .prev")).click();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).equals("Answer number 2."));
    assertEquals("2/3", lastAnswer(page).findElement(By.cssSelector(".versions .count")).getText());
    assertTrue(lastAnswer(page).findElements(By.cssSelector("button.regenerate")).isEmpty(), "only the newest regenerates");
    lastAnswer(page).findElement(By.cssSelector(".versions .prev")).click();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).equals("Answer number 1."));
    assertFalse(lastAnswer(page).findElement(By.cssSelector(".versions .prev")).isEnabled(), "no version before the first");
    lastAnswer(page).findElement(By.cssSelector(".versions .next")).click();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).equals("Answer number 2."));
    lastAnswer(page).findElement(By.cssSelector(".versions .next")).click();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody(d).equals("Answer number 3."));
    assertFalse(lastAnswer(page).findElement(By.cssSelector(".versions .next")).isEnabled());
    assertTrue(lastAnswer(page).findElement(By.cssSelector("button.regenerate")).isDisplayed());
    page.navigate().refresh();
    assertEquals("3/3", lastAnswer(page).findElement(By.cssSelector(".versions .count")).getText(), "kept after a reload");
    assertEquals(1, page.findElements(By.cssSelector("#messages .msg.assistant")).size());
  }

  @Test
  void copyGivesTheAnswersMarkdown() throws Exception {
    String markdown = "Some **bold** text and `code`.\n\n- one\n- two\n";
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(List.of(new WireStreams.Piece(false, markdown)), 0, 0));
    startChat("Some markdown");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));
    page.executeCdpCommand("Browser.grantPermissions", Map.of("origin", fakes.app.url(""),
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    lastAnswer(page).findElement(By.cssSelector("button.copy")).click();
    browser.waitUpTo(Duration.ofSeconds(3)).until(d -> lastAnswer(d).findElement(By.cssSelector("button.copy")).getText().equals("Copied"));
    Object copied = page.executeAsyncScript("var done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERR ' + e));");
    assertEquals(markdown, copied, "the Markdown as stored, not the text as shown");
    // The same from the answer as a fresh page shows it.
    page.navigate().refresh();
    page.executeScript("navigator.clipboard.writeText('');");
    lastAnswer(page).findElement(By.cssSelector("button.copy")).click();
    browser.waitUpTo(Duration.ofSeconds(3)).until(d -> lastAnswer(d).findElement(By.cssSelector("button.copy")).getText().equals("Copied"));
    assertEquals(markdown, page.executeAsyncScript("var done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERR ' + e));"),
        "after a reload too");
  }

  @Test
  void aTabWalkReachesEveryControlOfEveryMessageAndShowsIt() {
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(PageTalk.words("A short answer."), 0, 0));
    startChat("Walk me");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));
    List<WebElement> controls = page.findElements(By.cssSelector("#messages .msg button:not([disabled])"))
        .stream().filter(b -> b.findElements(By.xpath("ancestor::form[@hidden]")).isEmpty()).toList();
    assertTrue(controls.size() >= 4, "Copy and Edit, Copy and Regenerate: " + controls.size());
    js("document.activeElement.blur(); window.scrollTo(0, 0);");
    List<WebElement> reached = new ArrayList<>();
    for (int i = 0; i < 400 && reached.size() < controls.size(); i++) {
      new org.openqa.selenium.interactions.Actions(page).sendKeys(Keys.TAB).perform();
      WebElement focused = page.switchTo().activeElement();
      if (controls.contains(focused)) {
        reached.add(focused);
        assertEquals("1", js("return getComputedStyle(arguments[0].closest('.actions')).opacity;", focused),
            "a control hidden until hover shows when it has the focus: " + focused.getText());
        assertFalse("none".equals(js("return getComputedStyle(arguments[0]).outlineStyle;", focused)),
            "and has a visible focus ring");
      }
    }
    assertEquals(controls.size(), reached.size(), "every message control is reached with Tab");
  }

  @Test
  void theEmptyPageSuggestsAndTheSidebarSearchesTitlesAndText() {
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(PageTalk.words("Volcanoes are mountains. "), 0, 0));
    startChat("Tell me about Iceland");
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));
    page.get(fakes.app.url("/"));
    List<WebElement> suggestions = page.findElements(By.cssSelector("#messages .suggestion"));
    assertTrue(suggestions.size() >= 3, "the empty page suggests a few things to ask");
    new Select(page.findElement(By.name("model"))).selectByValue(Protocol.OPENAI.modelId);
    String suggested = suggestions.get(0).getText();
    suggestions.get(0).click();
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("/c/")
        && !d.findElements(By.cssSelector("#messages .msg.user")).isEmpty());
    assertEquals(suggested, page.findElement(By.cssSelector("#messages .msg.user .bubble")).getText());
    browser.waitUpTo(Duration.ofSeconds(10)).until(d -> "done".equals(lastState(d)));

    WebElement search = page.findElement(By.cssSelector("#sidebar input[name=q]"));
    int all = page.findElements(By.cssSelector("#history .conv")).size();
    search.sendKeys("VOLCANO");
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> d.findElements(By.cssSelector("#history .conv")).size() == 2);
    search.clear();
    search.sendKeys("iceland");
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> d.findElements(By.cssSelector("#history .conv a.title")).stream()
        .map(WebElement::getText).toList().equals(List.of("Tell me about Iceland")));
    search.sendKeys("%");
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> d.findElement(By.cssSelector("#history .none")).isDisplayed());
    search.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> d.findElements(By.cssSelector("#history .conv")).size() == all);
  }
}
