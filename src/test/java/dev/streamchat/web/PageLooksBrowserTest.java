package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeProviders;
import dev.streamchat.model.FakeProviders.Protocol;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;

/**
 * How the pages look and read, in headless Chromium: a phone can open and close the sidebar and
 * tap every control, no page logs a console error, axe-core finds no serious or critical
 * accessibility violation in either theme, and screenshots are kept under target/screenshots.
 */
class PageLooksBrowserTest {

  private static final String TOKEN = "looks-admin-token";
  /** Where .ci/run installs axe-core (npm); another path can be given with -Daxe.js=... */
  private static final Path AXE = Path.of(System.getProperty("axe.js", ".ci/axe/node_modules/axe-core/axe.min.js"));

  private static FakeProviders fakes;

  @BeforeAll
  static void start() throws Exception {
    fakes = new FakeProviders(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN));
    List<WireStreams.Piece> pieces = new ArrayList<>();
    for (int i = 0; i < 6; i++) pieces.add(new WireStreams.Piece(true, "Weighing option " + i + ". "));
    pieces.addAll(PageTalk.words("Here is a **plan** in three steps:\n\n1. Read the `README`.\n2. Run it.\n3. "
        + "Ask a [question](https://example.org).\n\n| step | time |\n|---|--:|\n| read | $t^2$ s |\n\n"
        + "```python\nfor step in plan:\n    print(step, end=\"\")\n```\n\nThat is all. " + "More words to fill a line or two. ".repeat(6)));
    fakes.onChat(Protocol.OPENAI, PageTalk.paced(pieces, 0, 5));
  }

  @AfterAll
  static void stop() throws Exception {
    if (fakes != null) fakes.close();
  }

  /** The class's Chromium as a new visitor (a session of its own) on a screen of this size and theme. */
  private static Browser open(int width, int height, boolean dark) throws Exception {
    Browser b = SharedBrowser.newVisitor(Math.max(width, 500), height);
    if (width < 500) {
      // A window is at least 500 px wide: the phone's own viewport is emulated instead.
      b.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height,
          "deviceScaleFactor", 1, "mobile", true));
    }
    theme(b.driver(), dark);
    return b;
  }

  private static void theme(ChromeDriver page, boolean dark) {
    page.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
  }

  /** A conversation of this browser's session with a reasoning answer, regenerated once (so it has versions). */
  private static void conversation(Browser b) {
    ChromeDriver page = b.driver();
    page.get(fakes.app.url("/"));
    new Select(page.findElement(By.name("model"))).selectByValue(Protocol.OPENAI.modelId);
    page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("How do I start?", Keys.ENTER);
    b.waitUpTo(Duration.ofSeconds(15)).until(d -> d.getCurrentUrl().contains("/c/")
        && !d.findElements(By.cssSelector(".msg.assistant[data-state='done']")).isEmpty());
    page.findElement(By.cssSelector("button.regenerate")).click();
    b.waitUpTo(Duration.ofSeconds(15)).until(d -> !d.findElements(By.cssSelector(".msg.assistant[data-state='done'] .versions")).isEmpty());
  }

  private static void logInAsAdmin(ChromeDriver page) {
    page.get(fakes.app.url("/admin/login")); // (/admin itself answers 401 to a stranger, which the console logs)
    if (page.findElements(By.name("token")).isEmpty()) return;
    WebElement token = page.findElement(By.name("token"));
    token.sendKeys(TOKEN);
    token.submit();
  }

  private static List<String> consoleErrors(ChromeDriver page) {
    return page.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
        .map(LogEntry::getMessage).toList();
  }

  @Test
  void onAPhoneTheSidebarOpensOverABackdropAndClosesByTapEscapeAndItsButton() throws Exception {
    Browser b = open(390, 844, false);
    ChromeDriver page = b.driver();
    conversation(b);
    WebElement menu = page.findElement(By.id("menu-toggle"));
    WebElement sidebar = page.findElement(By.id("sidebar"));
    assertTrue(menu.isDisplayed(), "the ☰ button shows on a phone");
    assertTrue(left(page, sidebar) < 0, "the sidebar starts out of the way");

    page.executeScript("window.scrollTo(0, document.scrollingElement.scrollHeight);");
    assertTrue(((Number) page.executeScript("return arguments[0].getBoundingClientRect().top;", menu)).doubleValue() >= 0,
        "the top bar stays on screen when the conversation is scrolled");

    menu.click();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) >= 0);
    assertEquals("true", menu.getAttribute("aria-expanded"));
    assertTrue(page.findElement(By.id("backdrop")).isDisplayed(), "a backdrop covers the conversation");
    b.screenshot("phone-sidebar-light");
    new Actions(page).moveToLocation(360, 420).click().perform();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) < 0);
    assertFalse(page.findElement(By.id("backdrop")).isDisplayed());

    menu.click();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) >= 0);
    new Actions(page).sendKeys(Keys.ESCAPE).perform();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) < 0);
    assertEquals(menu, page.switchTo().activeElement(), "the focus goes back to ☰");

    menu.click();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) >= 0);
    WebElement row = page.findElement(By.cssSelector("#history .conv"));
    for (WebElement icon : row.findElements(By.cssSelector(".icon"))) {
      assertEquals("1", page.executeScript("return getComputedStyle(arguments[0]).opacity;", icon),
          "rename and delete show without hover");
    }
    assertTargetsAtLeast44(page, "#sidebar a, #sidebar button, #sidebar input");
    page.findElement(By.id("sidebar-close")).click();
    b.waitUpTo(Duration.ofSeconds(2)).until(d -> left(page, sidebar) < 0);
    assertEquals(1, page.findElements(By.cssSelector(".msg .codeblock .code-copy")).size(), "the demo answer's code block");
    assertTargetsAtLeast44(page, "#menu-toggle, #composer button:not([hidden]), #composer select, .msg .actions button,"
        + " .msg .code-copy");
    b.screenshot("phone-chat-light");
    assertEquals(List.of(), consoleErrors(page));
  }

  /** Where the element's left edge is on screen; -1 when it is wholly off to the left. */
  private static double left(ChromeDriver page, WebElement e) {
    return ((Number) page.executeScript("var r = arguments[0].getBoundingClientRect(); return r.right <= 0 ? -1 : r.left;", e))
        .doubleValue();
  }

  private static void assertTargetsAtLeast44(ChromeDriver page, String selector) {
    List<WebElement> targets = page.findElements(By.cssSelector(selector)).stream().filter(WebElement::isDisplayed).toList();
    assertFalse(targets.isEmpty(), selector);
    for (WebElement t : targets) {
      var r = t.getRect();
      assertTrue(r.getHeight() >= 44 && r.getWidth() >= 44,
          "a tap target of at least 44 px: " + t.getTagName() + " '" + t.getText() + "' is " + r.getWidth() + "x" + r.getHeight());
    }
  }

  @Test
  void noPageLogsAConsoleError() throws Exception {
    Browser b = open(1280, 800, false);
    ChromeDriver page = b.driver();
    Map<String, List<String>> errors = new TreeMap<>();
    page.get(fakes.app.url("/"));
    errors.put("new chat", consoleErrors(page));
    conversation(b);
    errors.put("conversation", consoleErrors(page));
    page.get(fakes.app.url("/admin/login"));
    errors.put("admin login", consoleErrors(page));
    logInAsAdmin(page);
    b.waitUpTo(Duration.ofSeconds(5)).until(d -> !d.findElements(By.id("charts")).isEmpty());
    Thread.sleep(1200); // one round of the admin stream's updates
    errors.put("admin", consoleErrors(page));
    errors.values().removeIf(List::isEmpty);
    assertEquals(Map.of(), errors, "console errors by page");
  }

  @Test
  void axeFindsNoSeriousOrCriticalViolationInEitherThemeAndScreenshotsAreKept() throws Exception {
    Assumptions.assumeTrue(Files.isReadable(AXE), "axe-core is not installed (npm install --prefix .ci/axe axe-core@4, "
        + "as .ci/run does); looked for " + AXE.toAbsolutePath());
    String axe = Files.readString(AXE);
    Map<String, String> serious = new TreeMap<>();
    for (int[] size : new int[][] {{1280, 800}, {390, 844}}) {
      String device = size[0] > 500 ? "desktop" : "phone";
      Browser b = open(size[0], size[1], false);
      ChromeDriver page = b.driver();
      conversation(b);
      String conversationUrl = page.getCurrentUrl();
      logInAsAdmin(page);
      for (boolean dark : new boolean[] {false, true}) {
        String theme = dark ? "dark" : "light";
        theme(page, dark);
        page.get(fakes.app.url("/"));
        check(page, axe, "new chat, " + theme + ", " + device, serious);
        b.screenshot("empty-" + device + "-" + theme);
        page.get(conversationUrl);
        // The page opens at its newest text; the reader scrolls up to the answer's reasoning and opens it.
        WebElement summary = page.findElement(By.cssSelector(".msg.assistant details.reasoning summary"));
        page.executeScript("arguments[0].scrollIntoView({block: 'center'});", summary);
        summary.click();
        check(page, axe, "conversation, " + theme + ", " + device, serious);
        b.screenshot("chat-" + device + "-" + theme);
        page.get(fakes.app.url("/admin"));
        b.waitUpTo(Duration.ofSeconds(5)).until(d -> !d.findElements(By.cssSelector("#charts circle")).isEmpty());
        check(page, axe, "admin, " + theme + ", " + device, serious);
        b.screenshot("admin-" + device + "-" + theme);
      }
    }
    Browser b = open(1280, 800, false);
    for (boolean dark : new boolean[] {false, true}) {
      theme(b.driver(), dark);
      b.driver().get(fakes.app.url("/admin/login"));
      check(b.driver(), axe, "admin login, " + (dark ? "dark" : "light"), serious);
      // The sign-in pages of issue 18, as a person who is not signed in sees them.
      for (String path : new String[] {"/signin", "/signup"}) {
        b.driver().get(fakes.app.url(path));
        check(b.driver(), axe, path + ", " + (dark ? "dark" : "light"), serious);
      }
    }
    assertEquals(Map.of(), serious, "serious or critical accessibility violations");
  }

  /** Runs axe-core on the page, prints what it found by impact, and notes serious and critical ones. */
  private static void check(ChromeDriver page, String axe, String name, Map<String, String> serious) {
    page.executeScript(axe);
    String json = (String) page.executeAsyncScript("var done = arguments[arguments.length - 1];"
        + "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations.map(v =>"
        + " ({id: v.id, impact: v.impact, nodes: v.nodes.length, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))),"
        + " e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', nodes: 0, where: [String(e)]}])));");
    JsonArray violations = new JsonArray(json);
    Map<String, Integer> byImpact = new TreeMap<>();
    for (int i = 0; i < violations.size(); i++) {
      JsonObject v = violations.getJsonObject(i);
      byImpact.merge(v.getString("impact"), v.getInteger("nodes"), Integer::sum);
      if ("serious".equals(v.getString("impact")) || "critical".equals(v.getString("impact"))) {
        serious.merge(name, v.getString("id") + " at " + v.getJsonArray("where"), (a, b) -> a + "; " + b);
      }
    }
    System.out.printf("axe-core: %-32s violations by impact (elements): %s %s%n", name, byImpact, json);
  }
}
