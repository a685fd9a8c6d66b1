package dev.streamchat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * Two real browsers (two Chromium profiles, two cookie jars): one signs up and chats, the other
 * signs in, opens the conversation and watches the same answer stream in, live, then stops it.
 */
class AccountsBrowserTest {

  @Test
  void signUpChatAndWatchTheAnswerStreamOnASecondBrowser() throws Exception {
    String name = Auth.uniqueName("zoe");
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "12", "STREAMCHAT_DEMO_TOKENS", "400"));
         Browser phone = Browser.open(420, 860)) {
      Browser laptop = SharedBrowser.newVisitor();
      WebDriver a = laptop.driver();
      a.get(server.url("/"));
      a.findElement(By.linkText("Sign in")).click();
      a.findElement(By.linkText("Create one")).click();
      a.findElement(By.id("username")).sendKeys(name);
      a.findElement(By.id("password")).sendKeys(Auth.PASSWORD);
      a.findElement(By.cssSelector("form.auth-form button[type=submit]")).click();
      laptop.waitUpTo(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#composer")).isEmpty());
      assertEquals(name, a.findElement(By.cssSelector(".account-link a")).getText(), "the chat page shows who is signed in");

      a.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("Tell me a long story");
      a.findElement(By.cssSelector("#composer button.send")).click();
      laptop.waitUpTo(Duration.ofSeconds(10)).until(d -> answerText(d).length() > 5);
      String conversation = a.getCurrentUrl().replaceAll(".*/c/", "");

      WebDriver b = phone.driver();
      b.get(server.url("/signin"));
      b.findElement(By.id("username")).sendKeys(name);
      b.findElement(By.id("password")).sendKeys(Auth.PASSWORD);
      b.findElement(By.cssSelector("form.auth-form button[type=submit]")).click();
      phone.waitUpTo(Duration.ofSeconds(10)).until(d -> !d.findElements(By.cssSelector("#composer")).isEmpty());
      assertEquals(1, b.findElements(By.id("conv-" + conversation)).size(), "the sidebar lists the conversation");
      b.get(server.url("/c/" + conversation));

      // The second browser joined mid-answer: the text so far is there and more keeps arriving.
      assertEquals("running", b.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state"));
      String joined = answerText(b);
      phone.waitUpTo(Duration.ofSeconds(10)).until(d -> answerText(d).length() > joined.length() + 20);
      phone.screenshot("accounts-second-browser-streaming");
      assertTrue(answerText(a).startsWith(answerText(b).substring(0, 20)), "both show the same answer");

      // Stop on the second browser ends the answer on the first.
      b.findElement(By.cssSelector(".msg.assistant button.stop")).click();
      laptop.waitUpTo(Duration.ofSeconds(10)).until(d ->
          "stopped".equals(d.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state")));
      phone.waitUpTo(Duration.ofSeconds(10)).until(d ->
          "stopped".equals(d.findElement(By.cssSelector(".msg.assistant")).getAttribute("data-state")));
      assertEquals(plain(answerText(a)), plain(answerText(b)), "the same stopped answer on both");

      a.findElement(By.cssSelector(".account-link a")).click();
      laptop.waitUpTo(Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().endsWith("/account"));
      assertEquals(2, a.findElements(By.cssSelector("#sessions tbody tr")).size(), "both browsers' sessions are listed");
      laptop.screenshot("accounts-account-page");
    }
  }

  private static String answerText(WebDriver d) {
    return d.findElement(By.cssSelector(".msg.assistant .body")).getText();
  }

  private static String plain(String s) {
    return s.replaceAll("\\s+", " ").strip();
  }
}
