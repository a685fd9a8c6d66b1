package dev.streamchat.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

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
    if (browser == null) {
      browser = Browser.open(width, height);
      return browser;
    }
    return browser.fresh(width, height);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (browser != null) browser.close();
    browser = null;
  }
}
