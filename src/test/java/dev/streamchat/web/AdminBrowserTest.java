package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The admin page in headless Chromium: log in, watch a generation come and go, stop one. */
class AdminBrowserTest {

  private static final String TOKEN = "browser-admin-token";
  private static TestServer server;
  private static WebDriver browser;
  private static Path profile;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")) && Files.isExecutable(Path.of("/usr/bin/chromedriver")),
        "headless Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
    System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN, "STREAMCHAT_DEMO_TPS", "20"));
    profile = Files.createTempDirectory("streamchat-chromium");
    ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments(
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--window-size=1700,1000",
        "--user-data-dir=" + profile);
    browser = new ChromeDriver(options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) browser.quit();
    if (server != null) server.close();
    if (profile != null) TestServer.deleteTree(profile);
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

    String shortOne = someone.ask(someone.newConversation(), "A short one", 40);
    waitUpTo(10).until(d -> !d.findElements(liveRow(shortOne)).isEmpty());
    waitUpTo(15).until(d -> d.findElements(liveRow(shortOne)).isEmpty() && !d.findElements(endedRow(shortOne, "done")).isEmpty());

    String longOne = someone.ask(someone.newConversation(), "A long one", 5000);
    WebElement stop = waitUpTo(10).until(d -> {
      var rows = d.findElements(liveRow(longOne));
      return rows.isEmpty() ? null : rows.get(0).findElement(By.cssSelector("button.stop"));
    });
    stop.click();
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
