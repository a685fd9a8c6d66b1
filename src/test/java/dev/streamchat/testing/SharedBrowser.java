package dev.streamchat.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.WebDriverException;

/**
 * One Chromium for the tests of a class, which each start as a new visitor in it
 * ({@link Browser#fresh}): starting Chromium takes longer than most of what a test does with it.
 * Registered with {@code @RegisterExtension static final SharedBrowser chromium = new SharedBrowser();};
 * Chromium starts with the first test that asks for it and stops after the last test of the class.
 */
public final class SharedBrowser implements AfterAllCallback {

  private static final int WIDTH = 1200;
  private static final int HEIGHT = 900;

  private Browser browser;

  /** The class's Chromium as a new visitor sees it: a blank tab, no cookies, a desktop-sized window. */
  public Browser newVisitor() throws java.io.IOException {
    return newVisitor(WIDTH, HEIGHT);
  }

  public Browser newVisitor(int width, int height) throws java.io.IOException {
    if (browser != null) {
      try {
        return browser.fresh(width, height);
      } catch (WebDriverException e) {
        // An earlier test left it unusable (a dialog open, Chromium gone): a new one, so this test is its own.
        close();
      }
    }
    browser = Browser.open(width, height);
    return browser;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void close() {
    if (browser == null) return;
    try {
      browser.close();
    } catch (java.io.IOException | WebDriverException e) {
      System.err.println("could not close Chromium cleanly: " + e);
    }
    browser = null;
  }
}
