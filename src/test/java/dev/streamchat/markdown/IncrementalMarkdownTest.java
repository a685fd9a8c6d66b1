package dev.streamchat.markdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.markdown.IncrementalMarkdown.Step;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.commonmark.node.Node;
import org.junit.jupiter.api.Test;

/**
 * Recorded answers, cut into chunks in hundreds of ways, rendered as the page receives them: the
 * page ends with exactly the HTML of the whole text rendered at once, each block arrives once, every
 * state is the state of its prefix computed from scratch (so a resume after any chunk is exact), and
 * a block never changes kind while it grows.
 */
class IncrementalMarkdownTest {

  private static final MarkdownRenderer MD = MarkdownRenderer.get();
  private static final Pattern TOKEN = Pattern.compile("\\s*\\S{1,4}|\\s+");
  private static final Pattern FIRST_TAG = Pattern.compile("^<([a-z0-9]+)");

  /** The page: finished blocks appended once, the tail rebuilt from the edits it is sent. */
  static final class Page {
    final List<String> blocks = new ArrayList<>();
    String tailHtml = "";
    String code;
    long bytes;

    void apply(List<String> finished, Tail.Change change) {
      blocks.addAll(finished);
      finished.forEach(b -> bytes += b.length());
      if (change.html() != null) {
        tailHtml = change.html().applyTo(tailHtml);
        code = null;
        bytes += change.html().add().length();
      }
      if (change.code() != null) {
        code = change.code().applyTo(code == null ? "" : code);
        bytes += change.code().add().length();
      }
    }

    String html() {
      return String.join("", blocks) + new Tail(tailHtml, code, code == null ? null : "").withCode();
    }
  }

  static String answer(String name) throws IOException {
    try (InputStream in = IncrementalMarkdownTest.class.getResourceAsStream("/markdown/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The whole text's top-level blocks, each rendered on its own. */
  static List<String> wholeBlocks(String text) {
    List<String> blocks = new ArrayList<>();
    for (Node n = MD.parse(text).getFirstChild(); n != null; n = n.getNext()) blocks.add(MD.render(n));
    return blocks;
  }

  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) out.add(m.group());
    assertEquals(text, String.join("", out));
    return out;
  }

  static List<String> randomCuts(String text, Random random, int maxChunk) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < text.length(); ) {
      int n = 1 + random.nextInt(maxChunk);
      out.add(text.substring(i, Math.min(text.length(), i + n)));
      i += n;
    }
    return out;
  }

  /** The state after each prefix length, computed from scratch: {finished count, tail}. */
  record State(int finished, Tail tail) {
  }

  static State[] statesFromScratch(String text) {
    State[] states = new State[text.length() + 1];
    for (int len = 0; len <= text.length(); len++) {
      IncrementalMarkdown m = IncrementalMarkdown.of(text.substring(0, len));
      states[len] = new State(m.finishedBlocks().size(), m.tail());
    }
    return states;
  }

  /** Streams {@code chunks} to a page and checks every step; the page at the end. */
  static Page stream(String text, List<String> chunks, State[] fromScratch) {
    IncrementalMarkdown live = new IncrementalMarkdown();
    Page page = new Page();
    Tail before = Tail.EMPTY;
    int length = 0;
    for (String chunk : chunks) {
      Step step = live.append(chunk);
      length += chunk.length();
      page.apply(step.finished(), step.tail().since(before));
      before = step.tail();
      if (fromScratch != null) {
        assertEquals(live.html(), page.html(), "the page's tail edits reproduce the tail at " + length);
        State expected = fromScratch[length];
        assertEquals(expected.finished(), page.blocks.size(), "finished blocks at " + length);
        assertEquals(expected.tail(), step.tail(), "tail at " + length + " of\n" + text.substring(0, length));
      }
    }
    Step end = live.end();
    page.apply(end.finished(), end.tail().since(before));
    assertEquals(MD.toHtml(text), page.html());
    assertEquals(wholeBlocks(text), page.blocks, "each block once, in order");
    return page;
  }

  @Test
  void everyCutOfTheRecordedAnswersEndsAsTheWholeTextRenderedAtOnce() throws IOException {
    Random random = new Random(13);
    int runs = 0;
    for (String name : List.of("tutorial.md", "mixed.md", "hostile.md")) {
      String text = answer(name);
      State[] fromScratch = statesFromScratch(text);
      stream(text, tokens(text), fromScratch);
      stream(text, text.chars().mapToObj(c -> String.valueOf((char) c)).toList(), fromScratch);
      stream(text, List.of(text), fromScratch);
      runs += 3;
      for (int i = 0; i < 40; i++, runs++) stream(text, randomCuts(text, random, 1 + i % 40), fromScratch);
      // Every single cut point: the text in two pieces.
      for (int cut = 0; cut <= text.length(); cut += 11, runs++) {
        stream(text, List.of(text.substring(0, cut), text.substring(cut)), fromScratch);
      }
    }
    assertTrue(runs > 300, "runs: " + runs);
  }

  @Test
  void aResumeAfterEveryChunkEndsWithTheSameHtml() throws IOException {
    for (String name : List.of("tutorial.md", "mixed.md")) {
      String text = answer(name);
      List<String> chunks = tokens(text);
      // The live view: what each chunk finished and the tail after it.
      IncrementalMarkdown live = new IncrementalMarkdown();
      List<Step> steps = new ArrayList<>();
      List<Integer> finishedAfter = new ArrayList<>();
      StringBuilder prefix = new StringBuilder();
      List<String> prefixes = new ArrayList<>();
      for (String c : chunks) {
        steps.add(live.append(c));
        finishedAfter.add(live.finishedBlocks().size());
        prefixes.add(prefix.append(c).toString());
      }
      Step end = live.end();
      List<String> all = live.finishedBlocks();
      for (int n = 0; n < chunks.size(); n++) {
        // A reload after chunk n: the page is rendered from the prefix, then resumes after n.
        IncrementalMarkdown atN = IncrementalMarkdown.of(prefixes.get(n));
        Page page = new Page();
        page.apply(atN.finishedBlocks(), atN.tail().since(Tail.EMPTY));
        assertEquals(live.finishedBlocks().subList(0, atN.finishedBlocks().size()), page.blocks);
        Tail before = atN.tail();
        for (int m = n + 1; m < chunks.size(); m++) {
          // The resumed stream's first event also brings the blocks finished since n.
          List<String> blocks = all.subList(finishedAfter.get(m - 1), finishedAfter.get(m));
          if (m == n + 1) blocks = all.subList(atN.finishedBlocks().size(), finishedAfter.get(m));
          page.apply(blocks, steps.get(m).tail().since(before));
          before = steps.get(m).tail();
        }
        page.apply(all.subList(page.blocks.size(), all.size()), end.tail().since(before));
        assertEquals(MD.toHtml(text), page.html(), "resumed after chunk " + n);
        assertEquals(all, page.blocks, "resumed after chunk " + n);
      }
    }
  }

  @Test
  void aBlockNeverChangesKindWhileItGrows() throws IOException {
    for (String name : List.of("tutorial.md", "mixed.md", "hostile.md")) {
      String text = answer(name);
      IncrementalMarkdown live = new IncrementalMarkdown();
      String shownTag = null;
      StringBuilder prefix = new StringBuilder();
      for (String c : text.chars().mapToObj(c -> String.valueOf((char) c)).toList()) {
        Step step = live.append(c);
        prefix.append(c);
        Matcher tag = FIRST_TAG.matcher(step.tail().html());
        String now = tag.find() ? tag.group(1) : null;
        if (!step.finished().isEmpty() || shownTag == null) {
          shownTag = now;
        } else if (now != null) {
          assertEquals(shownTag, now, "the growing block changed kind at\n" + prefix);
        }
      }
    }
  }

  @Test
  void hostileMarkdownStaysInertInEveryStateWhileItStreams() throws IOException {
    String text = answer("hostile.md");
    IncrementalMarkdown live = new IncrementalMarkdown();
    for (String c : text.chars().mapToObj(c -> String.valueOf((char) c)).toList()) {
      live.append(c);
      MarkdownTest.assertInertHtml(live.html());
    }
    live.end();
    String html = live.html();
    MarkdownTest.assertInertHtml(html);
    for (String shownAsText : List.of("&lt;script&gt;alert('in code')&lt;/script&gt;", "&lt;b&gt;head&lt;/b&gt;",
        "<span class=\"math math-inline\">&lt;script&gt;alert('m1')&lt;/script&gt;</span>",
        "\\href{javascript:alert(6)}{click} &lt;svg onload=alert(7)&gt;")) {
      assertTrue(html.contains(shownAsText), shownAsText + " in\n" + html);
    }
  }

  @Test
  void theGrowingBlockReadsRight() {
    assertEquals("<p>a <strong>bol</strong></p>\n", IncrementalMarkdown.of("a **bol").tail().html());
    assertEquals("<p>a <strong>bold</strong></p>\n", IncrementalMarkdown.of("a **bold*").tail().html());
    assertEquals("<p>see <code>x.f</code></p>\n", IncrementalMarkdown.of("see `x.f").tail().html());
    assertEquals("<p>go <em>now <del>or</del></em></p>\n", IncrementalMarkdown.of("go *now ~~or").tail().html());
    assertEquals("<p>read the docs</p>\n", IncrementalMarkdown.of("read [the docs](https://exa").tail().html());
    assertEquals("<p>read the docs</p>\n", IncrementalMarkdown.of("read [the docs](").tail().html());
    assertEquals("<p>2 * 3 = 6</p>\n", IncrementalMarkdown.of("2 * 3 = 6").tail().html());
    // Not yet known: a lone marker shows nothing until the line tells what it is.
    for (String held : List.of("-", "- ", "#", "##", "|", "| a | b |", "1.", "12", "```", "``", "---", "* *", "$", "\\")) {
      assertEquals(Tail.EMPTY, IncrementalMarkdown.of("Intro.\n\n" + held).tail(), "'" + held + "'");
    }
    assertEquals("<ul>\n<li>a</li>\n</ul>\n", IncrementalMarkdown.of("- a").tail().html());
    assertEquals("<h2>T</h2>\n", IncrementalMarkdown.of("## T").tail().html());
    // A pipe row waits for the next line: the header of a table, or a paragraph line.
    assertEquals(Tail.EMPTY, IncrementalMarkdown.of("| a | b |\n|--").tail());
    assertTrue(IncrementalMarkdown.of("| a | b |\n|--|--|\n| 1").tail().html().startsWith("<table>"));
    // An open fence is a code block at once, its code apart from its frame.
    Tail code = IncrementalMarkdown.of("```sh\nls -l\nca").tail();
    assertTrue(code.html().contains("<pre><code class=\"language-sh\"></code></pre>"), code.html());
    assertEquals("ls -l\nca", code.code());
    assertEquals("ls -l\n", IncrementalMarkdown.of("```sh\nls -l\n``").tail().code(), "a closing fence being typed");
  }

  @Test
  void finishedMeansNothingLaterCanChangeIt() {
    assertEquals(0, IncrementalMarkdown.of("para\n").finishedBlocks().size(), "a setext line may follow");
    assertEquals(1, IncrementalMarkdown.of("para\n\n").finishedBlocks().size());
    assertEquals(1, IncrementalMarkdown.of("# Title\n").finishedBlocks().size());
    assertEquals(0, IncrementalMarkdown.of("- a\n\n").finishedBlocks().size(), "the item may go on");
    assertEquals(1, IncrementalMarkdown.of("- a\n\nb\n").finishedBlocks().size());
    assertEquals(0, IncrementalMarkdown.of("> a\n").finishedBlocks().size(), "a lazy line may follow");
    assertEquals(0, IncrementalMarkdown.of("```\nx\n```").finishedBlocks().size(), "``` x would not close it");
    assertEquals(1, IncrementalMarkdown.of("```\nx\n```\n").finishedBlocks().size());
    assertEquals(0, IncrementalMarkdown.of("| a |\n|---|\n| 1 |\n").finishedBlocks().size());
    assertEquals(1, IncrementalMarkdown.of("$$\nx\n$$\n").finishedBlocks().size());
    assertNull(IncrementalMarkdown.of("text").tail().code());
  }

  @Test
  void aLongCodeBlockIsNotSentAgainForEveryToken() throws IOException {
    String text = answer("long-code.md");
    long start = System.nanoTime();
    Page page = stream(text, tokens(text), null);
    long micros = (System.nanoTime() - start) / 1000;
    double ratio = page.bytes / (double) text.length();
    // Each block once, the code once more while it grew, and small edits.
    assertTrue(ratio < 2.5, "bytes sent / answer size = " + ratio);
    assertTrue(micros < 5_000_000, "rendering took " + micros + " µs");
    assertFalse(page.blocks.isEmpty());
  }
}
