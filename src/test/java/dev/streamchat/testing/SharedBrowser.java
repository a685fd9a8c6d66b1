package dev.streamchat.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.openqa.selenium.WebDriverException;

/**
 * One Chromium for the whole test run, in which each test (or test class) starts as a new visitor
 * ({@link Browser#fresh}): starting Chromium takes longer than most of what a test does with it.
 * Chromium starts with the first test that asks for it and stops when the run ends: this class is
 * also the run's {@link LauncherSessionListener} (registered in
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}).
 */
public final class SharedBrowser implements LauncherSessionListener {

  private static final int WIDTH = 1200;
  private static final int HEIGHT = 900;

  private static Browser browser;

  /** The run's Chromium as a new visitor sees it: a blank tab, no cookies, a desktop-sized window. */
  public static Browser newVisitor() throws java.io.IOException {
    return newVisitor(WIDTH, HEIGHT);
  }

  public static synchronized Browser newVisitor(int width, int height) throws java.io.IOException {
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
  public void launcherSessionClosed(LauncherSession session) {
    close();
  }

  private static synchronized void close() {
    if (browser == null) return;
    try {
      browser.close();
    } catch (java.io.IOException | WebDriverException e) {
      System.err.println("could not close Chromium cleanly: " + e);
    }
    browser = null;
  }
}
