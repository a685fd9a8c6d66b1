package dev.streamchat.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.commonmark.node.Image;
import org.commonmark.node.Node;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.DefaultUrlSanitizer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Renders a finished answer's Markdown to HTML that is safe to put in a page: raw HTML in the
 * text is escaped, not passed through, and link targets other than http(s)/mailto are dropped
 * (commonmark's default sanitizer also allows data:).
 * Images become links: a model (or a prompt injection) must not make the browser fetch a URL of
 * its choosing, which could carry the conversation to a foreign host.
 */
final class Markdown {

  private static final Parser PARSER = Parser.builder().build();
  private static final HtmlRenderer RENDERER = HtmlRenderer.builder()
      .escapeHtml(true)
      .sanitizeUrls(true)
      // The default also lets data: through; a link has no business carrying a document.
      .urlSanitizer(new DefaultUrlSanitizer(List.of("http", "https", "mailto")))
      .attributeProviderFactory(ctx -> (node, tag, attrs) -> {
        if (tag.equals("a")) {
          attrs.put("rel", "nofollow noopener noreferrer");
          attrs.put("target", "_blank");
        }
      })
      .nodeRendererFactory(ImageAsLink::new)
      .build();

  private Markdown() {
  }

  static String toHtml(String markdown) {
    return RENDERER.render(PARSER.parse(markdown));
  }

  /** {@code ![alt](url)} as {@code <a href="url">alt</a>}, never an {@code <img>}. */
  private record ImageAsLink(HtmlNodeRendererContext ctx) implements NodeRenderer {
    @Override
    public Set<Class<? extends Node>> getNodeTypes() {
      return Set.of(Image.class);
    }

    @Override
    public void render(Node node) {
      Image image = (Image) node;
      Map<String, String> attrs = new LinkedHashMap<>();
      attrs.put("href", ctx.encodeUrl(ctx.urlSanitizer().sanitizeLinkUrl(image.getDestination())));
      ctx.getWriter().tag("a", ctx.extendAttributes(node, "a", attrs));
      for (Node child = image.getFirstChild(); child != null; ) {
        Node next = child.getNext();
        ctx.render(child);
        child = next;
      }
      ctx.getWriter().tag("/a");
    }
  }
}
