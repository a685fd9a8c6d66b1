package dev.streamchat.web;

import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Renders a finished answer's Markdown to HTML that is safe to put in a page: raw HTML in the
 * text is escaped, not passed through, and link targets other than http(s)/mailto are dropped.
 */
final class Markdown {

  private static final Parser PARSER = Parser.builder().build();
  private static final HtmlRenderer RENDERER = HtmlRenderer.builder()
      .escapeHtml(true)
      .sanitizeUrls(true)
      .attributeProviderFactory(ctx -> (node, tag, attrs) -> {
        if (tag.equals("a")) {
          attrs.put("rel", "nofollow noopener noreferrer");
          attrs.put("target", "_blank");
        }
      })
      .build();

  private Markdown() {
  }

  static String toHtml(String markdown) {
    return RENDERER.render(PARSER.parse(markdown));
  }
}
