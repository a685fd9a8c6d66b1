package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.SseConnection;
import dev.streamchat.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The admin page in headless Chromium: log in, watch a generation come and go, stop one. */
class AdminBrowserTest {

  private static final String TOKEN = "browser-admin-token";
  private static TestServer server;
  private static WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor(1700, 1000).driver();
    server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN, "STREAMCHAT_DEMO_TPS", "20"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
  }

  private static WebDriverWait waitUpTo(int seconds) {
    // Rows and totals are swapped in over SSE: an element found a moment ago may have been replaced.
    return (WebDriverWait) new WebDriverWait(browser, Duration.ofSeconds(seconds))
        .ignoring(StaleElementReferenceException.class);
  }

  private static By liveRow(String gid) {
    return By.cssSelector("#live tr[data-gid='" + gid + "']");
  }

  private static By endedRow(String gid, String state) {
    return By.cssSelector("#ended tr[data-gid='" + gid + "'][data-state='" + state + "']");
  }

  private static void logIn() {
    browser.get(server.url("/admin"));
    if (browser.findElements(By.name("token")).isEmpty()) return; // logged in by an earlier test
    WebElement token = browser.findElement(By.name("token"));
    token.sendKeys(TOKEN);
    token.submit();
    waitUpTo(10).until(d -> d.getCurrentUrl().endsWith("/admin") && !d.findElements(By.id("live")).isEmpty());
  }

  @Test
  void theAdminPageShowsGenerationsComeAndGoAndStopsOne() throws Exception {
    logIn();
    ApiClient someone = server.client();

    String shortConversation = someone.newConversation();
    String shortOne = someone.ask(shortConversation, "A short one", 40);
    WebElement live = waitUpTo(10).until(d -> d.findElements(liveRow(shortOne)).stream().findFirst().orElse(null));
    WebElement title = live.findElement(By.cssSelector("td.conversation a"));
    assertEquals("A short one", title.getText(), "a row names its conversation by title");
    assertTrue(title.getAttribute("href").endsWith("/c/" + shortConversation), "and links to it");
    assertTrue(live.getText().matches("(?s).*\\b\\d+ s\\b.*"), "it shows how long the answer has run: " + live.getText());
    waitUpTo(15).until(d -> d.findElements(liveRow(shortOne)).isEmpty() && !d.findElements(endedRow(shortOne, "done")).isEmpty());
    // The charts of the last hour now have the demo model's answer, drawn on the server as SVG.
    waitUpTo(5).until(d -> d.findElements(By.cssSelector("#charts figure.chart svg.plot circle")).size() >= 2);
    assertTrue(browser.findElement(By.id("charts")).getText().contains("demo"), "the legend names the model");
    String goneConversation = someone.newConversation();
    String gone = someone.ask(goneConversation, "Soon deleted", 3);
    someone.awaitFinal(gone);
    assertEquals(204, someone.delete("/api/conversations/" + goneConversation).status());
    WebElement goneRow = waitUpTo(10).until(d -> d.findElements(endedRow(gone, "done")).stream().findFirst().orElse(null));
    assertTrue(goneRow.findElement(By.cssSelector("td.conversation")).getText().endsWith("(deleted)"), goneRow.getText());

    String longOne = someone.ask(someone.newConversation(), "A long one", 5000);
    waitUpTo(10).until(d -> { // the rows are swapped in every second: find and press in one go
      d.findElement(liveRow(longOne)).findElement(By.cssSelector("button.stop")).click();
      return true;
    });
    org.openqa.selenium.Alert confirm = waitUpTo(5).until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent());
    assertTrue(confirm.getText().startsWith("Stop this answer?"), "Stop asks first");
    confirm.dismiss();
    Thread.sleep(1500); // a stop sent in spite of the refusal would have ended it by now
    assertEquals("running", someone.generation(longOne).getString("state"), "refusing the confirmation stops nothing");
    waitUpTo(10).until(d -> { // the rows are swapped in every second: find and press in one go
      d.findElement(liveRow(longOne)).findElement(By.cssSelector("button.stop")).click();
      return true;
    });
    waitUpTo(5).until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent()).accept();
    waitUpTo(10).until(d -> !d.findElements(endedRow(longOne, "stopped")).isEmpty());
    assertTrue(browser.findElements(liveRow(longOne)).isEmpty());
    assertEquals("stopped", someone.generation(longOne).getString("state"));
  }

  @Test
  void screenshotWithThreeLiveGenerations() throws Exception {
    logIn();
    List<String> gids = new ArrayList<>();
    List<SseConnection> viewers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        ApiClient person = server.client();
        String gid = person.ask(person.newConversation(), "Question number " + i, 5000);
        gids.add(gid);
        for (int v = 0; v < i + 1; v++) viewers.add(person.events(gid, null, null));
      }
      waitUpTo(10).until(d -> gids.stream().allMatch(g -> !d.findElements(liveRow(g)).isEmpty()));
      waitUpTo(10).until(d -> d.findElement(By.cssSelector("[data-total='viewers']")).getText().equals("6"));
      Thread.sleep(1500);
      Path shot = Path.of("target", "admin-three-live.png");
      Files.createDirectories(shot.getParent());
      Files.copy(((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
      assertEquals("3", browser.findElement(By.cssSelector("[data-total='live']")).getText());
    } finally {
      viewers.forEach(SseConnection::close);
      ApiClient admin = server.client();
      for (String gid : gids) {
        admin.send(HttpRequest.newBuilder(URI.create(server.url("/api/admin/streams/" + gid + "/stop")))
            .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()));
      }
    }
  }
}
