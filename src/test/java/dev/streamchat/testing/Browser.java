package dev.streamchat.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Headless Debian Chromium driven by Selenium, with a fresh profile; skips where it is absent. */
public final class Browser implements AutoCloseable {

  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  private final ChromeDriver driver;
  private final Path profile;

  private Browser(int width, int height) throws IOException {
    profile = Files.createTempDirectory("streamchat-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
    // A dialog a script opened stays open for the test to find, instead of being dismissed.
    options.setUnhandledPromptBehaviour(org.openqa.selenium.UnexpectedAlertBehaviour.IGNORE);
    // The console is kept, so a test can check that a page logs no error.
    options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
  }

  /** A desktop-sized browser; the test is skipped (with the reason) where Chromium is absent. */
  public static Browser open() throws IOException {
    return open(1200, 900);
  }

  public static Browser open(int width, int height) throws IOException {
    assumeTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
        "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    return new Browser(width, height);
  }

  public ChromeDriver driver() {
    return driver;
  }

  public WebDriverWait waitUpTo(Duration d) {
    // An answer's element is replaced when it ends: a stale reference just means "look again".
    return (WebDriverWait) new WebDriverWait(driver, d, Duration.ofMillis(20))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class);
  }

  /**
   * Starts over as a new visitor: one blank tab in place of every other (so nothing a test set up
   * through DevTools, such as emulation or scripts for new pages, is left), no cookies (those of
   * 127.0.0.1 would reach the next server whatever its port) and no console entries, in a window
   * of the given size. Storage and cache belong to an origin, and each server's port makes one.
   */
  public Browser fresh(int width, int height) {
    String blank = driver.switchTo().newWindow(WindowType.TAB).getWindowHandle();
    for (String tab : driver.getWindowHandles()) {
      if (!tab.equals(blank)) driver.switchTo().window(tab).close();
    }
    driver.switchTo().window(blank);
    driver.executeCdpCommand("Page.bringToFront", Map.of()); // the focus too, as the first tab has it
    driver.executeCdpCommand("Network.clearBrowserCookies", Map.of());
    driver.manage().window().setSize(new Dimension(width, height));
    driver.manage().logs().get(LogType.BROWSER); // what earlier pages logged is read and dropped
    return this;
  }

  /** Saves a screenshot under target/screenshots for a person to look at. */
  public void screenshot(String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  /**
   * Screenshots of the page as it is, for a person to look at: desktop (1280) and phone (390)
   * widths, light and dark, under target/screenshots as {@code name-<width>-<scheme>.png}.
   */
  public void screenshots(String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    for (String scheme : new String[] {"light", "dark"}) {
      driver.executeCdpCommand("Emulation.setEmulatedMedia", java.util.Map.of("features",
          java.util.List.of(java.util.Map.of("name", "prefers-color-scheme", "value", scheme))));
      for (int width : new int[] {1280, 390}) {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", java.util.Map.of("width", width, "height", 800,
            "deviceScaleFactor", 1, "mobile", width < 500));
        Files.write(dir.resolve(name + "-" + width + "-" + scheme + ".png"),
            ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
      }
    }
    driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", java.util.Map.of());
    driver.executeCdpCommand("Emulation.setEmulatedMedia", java.util.Map.of("features", java.util.List.of()));
  }

  @Override
  public void close() throws IOException {
    driver.quit();
    TestServer.deleteTree(profile);
  }
}
