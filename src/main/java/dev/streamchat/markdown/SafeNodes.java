package dev.streamchat.markdown;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Image;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlWriter;

/** How images and code blocks are written. */
final class SafeNodes {

  /** A language name as highlight.js knows them ({@code c++}, {@code objective-c}, {@code c#}). */
  private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z0-9_+#.-]{1,40}");

  private SafeNodes() {
  }

  /** Attributes in the order given: the same HTML in every process (Map.of's order is per JVM). */
  static Map<String, String> attributes(String... namesAndValues) {
    Map<String, String> attrs = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) attrs.put(namesAndValues[i], namesAndValues[i + 1]);
    return attrs;
  }

  /** {@code ![alt](url)} as {@code <a href="url">alt</a>}, never an {@code <img>}. */
  record ImageAsLink(HtmlNodeRendererContext ctx) implements NodeRenderer {
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

  /**
   * A code block in a frame that names its language and has a Copy button (its label comes from the
   * style sheet, so copying a whole answer as text does not pick up the word). The page highlights
   * the code once the block is finished.
   */
  record CodeBlocks(HtmlNodeRendererContext ctx) implements NodeRenderer {
    @Override
    public Set<Class<? extends Node>> getNodeTypes() {
      return Set.of(FencedCodeBlock.class, IndentedCodeBlock.class);
    }

    @Override
    public void render(Node node) {
      String language = null;
      String literal;
      if (node instanceof FencedCodeBlock fenced) {
        language = language(fenced.getInfo());
        literal = fenced.getLiteral();
      } else {
        literal = ((IndentedCodeBlock) node).getLiteral();
      }
      HtmlWriter html = ctx.getWriter();
      html.line();
      Map<String, String> frame = new LinkedHashMap<>();
      frame.put("class", "codeblock");
      if (language != null) frame.put("data-lang", language);
      html.tag("div", frame);
      html.tag("button", attributes("type", "button", "class", "code-copy", "aria-label", "Copy code"));
      html.tag("/button");
      html.tag("pre");
      html.tag("code", language == null ? Map.of() : attributes("class", "language-" + language));
      html.text(literal);
      html.tag("/code");
      html.tag("/pre");
      html.tag("/div");
      html.line();
    }

    private static String language(String info) {
      if (info == null || info.isBlank()) return null;
      String first = info.strip().split("\\s+", 2)[0];
      return LANGUAGE.matcher(first).matches() ? first : null;
    }
  }
}
