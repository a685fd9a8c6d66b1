package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.model.FakeModelServer;
import dev.streamchat.model.WireStreams;
import dev.streamchat.testing.Browser;
import dev.streamchat.testing.SharedBrowser;
import dev.streamchat.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * An answer reads as formatted text from its first tokens: a fake OpenAI-compatible server streams
 * Markdown and holds still halfway (until the test has looked), so what the page shows mid-stream
 * is checked deterministically. Finished blocks are never replaced, not even at the end: the first
 * paragraph is the same DOM node and a selection in it survives; a reload shows the same HTML; a
 * Continue on a cut-short answer streams on rendered.
 */
class MarkdownBrowserTest {

  private static final String FIRST = "The answer has **strong words** and `code` in its first paragraph.\n\n"
      + "```python\ndef area(r):\n    return 3.14159 * r * r\n";
  private static final String REST = "\nprint(area(2))\n```\n\n"
      + "| shape | area |\n|:--|--:|\n| circle | $\\pi r^2$ |\n| square | $a^2$ |\n\n"
      + "- one\n- two\n\nThe end, with math: $$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$.";

  private static FakeModelServer model;
  /** One app per page transport, started when a test first asks for it. */
  private static final Map<String, TestServer> servers = new java.util.HashMap<>();
  private static TestServer server;
  private static Browser browser;
  private static WebDriver page;
  /** What the fake model does with the next chat request: stream the first part, wait, then this. */
  private static volatile CountDownLatch go;
  private static volatile boolean cutAfterFirst;

  @BeforeAll
  static void start() throws Exception {
    browser = SharedBrowser.newVisitor();
    page = browser.driver();
    model = new FakeModelServer((req, ex) -> {
      if (req.path().startsWith("/v1/models")) {
        ex.reply(200, "application/json", "{\"data\":[{\"id\":\"md\"}]}");
        return;
      }
      // A Continue asks with the answer so far; it gets the rest, holding still after its first line.
      boolean continuing = req.body().contains("strong words");
      ex.begin("text/event-stream");
      String before = continuing ? REST.substring(0, REST.indexOf(')') + 1) : FIRST;
      String after = continuing ? REST.substring(before.length()) : REST;
      stream(ex, before);
      if (cutAfterFirst && !continuing) {
        ex.cut();
        return;
      }
      if (!go.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("the test never let the answer go on");
      stream(ex, after);
      ex.write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
          .getBytes(StandardCharsets.UTF_8));
      ex.end();
    });
  }

  /**
   * The app for a page transport: the default ({@code shared}) carries the page's events over the
   * shared WebSocket and live.js reads their SSE text; {@code sse} is the browser's own EventSource.
   */
  private static void useTransport(String transport) throws Exception {
    server = servers.get(transport);
    if (server == null) {
      Map<String, String> env = new java.util.HashMap<>(Map.of("OPENAI_BASE_URL", model.url("/v1"), "OPENAI_API_KEY", "test"));
      if (!transport.equals("default")) env.put("STREAMCHAT_PAGE_TRANSPORT", transport);
      server = TestServer.start(env);
      servers.put(transport, server);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestServer s : servers.values()) s.close();
    if (model != null) model.close();
  }

  private static void stream(FakeModelServer.Exchange ex, String text) throws java.io.IOException, InterruptedException {
    for (String piece : tokens(text)) {
      ex.write(("data: " + WireStreams.openAiChunk(new WireStreams.Piece(false, piece)) + "\n\n")
          .getBytes(StandardCharsets.UTF_8));
      Thread.sleep(5);
    }
  }

  private static List<String> tokens(String text) {
    return java.util.regex.Pattern.compile("\\s*\\S{1,3}|\\s+").matcher(text).results().map(m -> m.group()).toList();
  }

  private static Object js(String script, Object... args) {
    return ((JavascriptExecutor) page).executeScript(script, args);
  }

  private static String lastBody() {
    return (String) js("var b = document.querySelectorAll('.msg.assistant .body'); return b.length ? b[b.length - 1].innerHTML : '';");
  }

  private static String state() {
    return (String) js("var a = document.querySelectorAll('.msg.assistant'); return a.length ? a[a.length - 1].dataset.state : null;");
  }

  private static void ask(String question) throws InterruptedException {
    page.findElement(By.cssSelector("#composer textarea[name=content]")).sendKeys(question);
    page.findElement(By.cssSelector("#composer button.send")).click();
  }

  @ParameterizedTest(name = "page transport {0}")
  @ValueSource(strings = {"default", "sse"})
  void finishedBlocksStayWhileTheAnswerStreamsAndEnds(String transport) throws Exception {
    useTransport(transport);
    go = new CountDownLatch(1);
    cutAfterFirst = false;
    page.get(server.url("/"));
    assertEquals(transport.equals("default") ? "shared" : transport,
        js("return document.querySelector('meta[name=\"streamchat-transport\"]').content;"), "the page's transport");
    ask("Show me some Markdown");
    // The model holds still after an open code block: what the page shows now is mid-stream.
    // (Until the code block's last line has come: the page may show the line half-written before.)
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> lastBody().contains("return 3.14159 * r * r\n"));
    assertEquals("running", state());
    Boolean strong = (Boolean) js("var p = document.querySelector('.msg.assistant .body > p');"
        + "return p != null && p.querySelector('strong') != null && p.querySelector('strong').textContent === 'strong words';");
    assertTrue(strong, "the first paragraph is a <p> with <strong> while streaming: " + lastBody());
    String code = (String) js("var c = document.querySelector('.msg.assistant .body pre code'); return c ? c.textContent : null;");
    assertEquals("def area(r):\n    return 3.14159 * r * r\n", code, "the open code block is a <pre> already");
    assertFalse(((String) js("return document.querySelector('.msg.assistant .body').textContent;")).contains("```"),
        "no raw fence on the page");
    // Mark the paragraph's node and select words in it, as a reader would.
    js("var p = document.querySelector('.msg.assistant .body > p'); p.streamchatMark = 'the same node';"
        + "var r = document.createRange(); r.selectNodeContents(p.querySelector('strong'));"
        + "getSelection().removeAllRanges(); getSelection().addRange(r);");
    go.countDown();

    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> "done".equals(state()));
    assertEquals("the same node", js("return document.querySelector('.msg.assistant .body > p').streamchatMark;"),
        "the first paragraph was never replaced");
    assertEquals("strong words", js("return getSelection().toString();"), "the selection survived the end");
    String live = lastBody();
    assertTrue(live.contains("<table>") && live.contains("<td align=\"right\">"), live);
    assertTrue(live.contains("class=\"katex\""), "math typeset by KaTeX: " + live);
    assertTrue(live.contains("hljs-keyword"), "code highlighted: " + live);
    assertEquals(1L, js("return document.querySelectorAll('.msg.assistant .codeblock').length;"));
    assertEquals(0L, js("return document.querySelectorAll('.msg.assistant .md-tail, template.md-end').length;"),
        "nothing of the stream's scaffolding is left");
    assertEquals(1L, js("return document.querySelectorAll('.msg.assistant .actions .regenerate').length;"),
        "the end brought the buttons");

    page.navigate().refresh();
    browser.waitUpTo(Duration.ofSeconds(5)).until(d -> lastBody().contains("class=\"katex\""));
    assertEquals(live, lastBody(), "a reload shows the same HTML");
  }

  @ParameterizedTest(name = "page transport {0}")
  @ValueSource(strings = {"default", "sse"})
  void continueStreamsOnRendered(String transport) throws Exception {
    useTransport(transport);
    go = new CountDownLatch(1);
    cutAfterFirst = true;
    page.get(server.url("/"));
    ask("Cut me short");
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> "failed".equals(state()));
    go = new CountDownLatch(1);
    cutAfterFirst = false;
    page.findElement(By.cssSelector(".msg.assistant button.continue")).click();
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> "running".equals(state()) && lastBody().contains("area(2)"));
    // While it grows again, the text so far is formatted, not raw.
    String during = lastBody();
    assertTrue(during.contains("<strong>strong words</strong>") && during.contains("<pre>"), during);
    assertFalse(during.contains("**"), during);
    go.countDown();
    browser.waitUpTo(Duration.ofSeconds(15)).until(d -> "done".equals(state()));
    String done = lastBody();
    assertTrue(done.contains("print</span>(area(") || done.contains("print(area("), done);
    assertTrue(done.contains("<table>"), done);
  }
}
