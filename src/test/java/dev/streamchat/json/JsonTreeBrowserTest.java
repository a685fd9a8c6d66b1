package dev.streamchat.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.FakeOpenAi;
import dev.streamchat.testing.GatedOpenAi;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * In a real browser, on the chat page: webroot/json-view.js shows a JSON answer as a collapsible
 * tree that grows from the answer's json events ("checking…" meanwhile) and says at the end that
 * it is valid; a reload shows it again, while it is written and once it has ended. A fake model
 * writes the first part of its JSON and waits until the test has looked, then writes the rest.
 */
class JsonTreeBrowserTest {

  private static final List<String> FIRST = List.of("{\"city\": ", "\"Rome\", ", "\"days\": 3, ", "\"sights\": [\"Colos");
  private static final List<String> REST = List.of("seum\", ", "\"Forum\"]}");

  private static GatedOpenAi model;

  @BeforeAll
  static void start() throws Exception {
    model = new GatedOpenAi(FIRST, REST);
  }

  @AfterAll
  static void stop() throws Exception {
    model.close();
  }

  private static TestServer app() throws Exception {
    return TestServer.start(model.env());
  }

  @Test
  void aJsonAnswerGrowsAsATreeAndEndsValid() throws Exception {
    model.shutGates();
    try (TestServer app = app()) {
      Browser browser = SharedBrowser.newVisitor();
      ChromeDriver driver = browser.driver();
      driver.get(app.url("/"));
      String schema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},"
          + "\"sights\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":2}},\"required\":[\"city\"]}";
      // The answer is asked for from the page's own session, and shown in an element of the test's.
      Object gid = driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
          + "fetch('/api/conversations', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})"
          + ".then(r => r.json()).then(c => fetch('/api/conversations/' + c.id + '/messages', {method: 'POST',"
          + " headers: {'Content-Type': 'application/json'}, body: JSON.stringify({content: 'Plan a trip', model: '" + FakeOpenAi.MODEL + "',"
          + " responseFormat: {type: 'json_schema', schema: " + schema + "}})}))"
          + ".then(r => r.json()).then(g => { const host = document.createElement('article'); host.id = 'tree-host';"
          + " document.body.append(host); StreamchatJson.attach(host, g.generationId); done(g.generationId); });");
      assertTrue(gid instanceof String, String.valueOf(gid));
      WebElement status = driver.findElement(By.cssSelector("#tree-host .json-status"));
      assertEquals("checking…", status.getText());
      // Part of the value shows while the answer is still being written.
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector("#tree-host .json-key")).size() == 3);
      assertEquals("checking…", status.getText(), "still streaming when the first keys appear");
      assertEquals("\"Colos\"", driver.findElement(By.cssSelector("#tree-host details details li")).getText(),
          "a string in progress shows as its prefix");
      model.open();
      browser.waitUpTo(Duration.ofSeconds(20)).until(d -> status.getText().equals("Valid JSON"));
      List<String> keys = driver.findElements(By.cssSelector("#tree-host .json-key")).stream().map(WebElement::getText).toList();
      assertEquals(List.of("\"city\":", "\"days\":", "\"sights\":"), keys);
      assertEquals(2, driver.findElements(By.cssSelector("#tree-host details details li")).size(), "the sights array");
      // Collapsible: closing a node hides its children.
      WebElement sights = driver.findElement(By.cssSelector("#tree-host details details summary"));
      sights.click();
      assertTrue(driver.findElements(By.cssSelector("#tree-host details details li")).stream().noneMatch(WebElement::isDisplayed));
      browser.screenshot("json-tree");
    }
  }

  @Test
  void theComposerAsksForJsonAndTheTreeComesBackWithAReload() throws Exception {
    model.shutGates();
    try (TestServer app = app()) {
      Browser browser = SharedBrowser.newVisitor();
      ChromeDriver driver = browser.driver();
      driver.get(app.url("/"));
      new Select(driver.findElement(By.cssSelector("#composer select[name=responseFormat]"))).selectByVisibleText("JSON");
      driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Anything as JSON");
      driver.findElement(By.cssSelector("#composer button.send")).click();
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector(".msg.assistant .json-key")).isEmpty());
      assertEquals("checking…", driver.findElement(By.cssSelector(".msg.assistant .json-status")).getText());

      // Reloaded mid-answer, the page knows the answer is JSON and shows its tree again.
      driver.navigate().refresh();
      WebElement answer = driver.findElement(By.cssSelector(".msg.assistant"));
      assertEquals("running", answer.getAttribute("data-state"));
      assertEquals(answer.getAttribute("id"), "msg-" + answer.getAttribute("data-json-generation"));
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.findElements(By.cssSelector(".msg.assistant .json-key")).size() == 3);
      model.open();
      browser.waitUpTo(Duration.ofSeconds(20)).until(d -> d.findElement(By.cssSelector(".msg.assistant .json-status"))
          .getText().equals("Valid JSON"));
      String topKeys = ".msg.assistant .json-view > .json-tree > details > ul > li > .json-key";
      List<String> keys = driver.findElements(By.cssSelector(topKeys)).stream().map(WebElement::getText).toList();
      assertEquals(List.of("\"city\":", "\"days\":", "\"sights\":"), keys);
      assertEquals(1, driver.findElements(By.cssSelector(".json-view")).size(), "one tree");

      // Reloaded once it has ended, the page shows the saved answer's tree from its text.
      driver.navigate().refresh();
      assertEquals("done", driver.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state"));
      browser.waitUpTo(Duration.ofSeconds(10)).until(d -> d.findElement(By.cssSelector(".msg.assistant .json-status"))
          .getText().equals("Valid JSON"));
      assertEquals(keys, driver.findElements(By.cssSelector(topKeys)).stream().map(WebElement::getText).toList());
      browser.screenshots("json-saved");
    }
  }
}
