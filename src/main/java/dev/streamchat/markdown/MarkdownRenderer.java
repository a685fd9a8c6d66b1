package dev.streamchat.markdown;

import java.util.List;
import org.commonmark.Extension;
import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Block;
import org.commonmark.node.BlockQuote;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.ListBlock;
import org.commonmark.node.Node;
import org.commonmark.node.ThematicBreak;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.DefaultUrlSanitizer;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * An answer's Markdown as HTML that is safe to put in a page. commonmark with the GFM tables,
 * strikethrough ({@code ~~x~~} only: a single tilde means "about" in chat) and autolink extensions,
 * plus math ({@code $…$}, {@code $$…$$}, {@code \(…\)}, {@code \[…\]}) kept verbatim for KaTeX.
 *
 * <p>Safe: raw HTML is neither parsed as blocks nor passed through (it shows as text); link targets
 * other than http(s)/mailto are dropped (commonmark's default sanitizer also allows data:); links open
 * in a new tab without referrer or opener; images become links, so a model (or a prompt injection)
 * cannot make the browser fetch a URL of its choosing and carry the conversation to a foreign host.
 *
 * <p>Every top-level block renders on its own: reference definitions ({@code [x]: url}) do not reach
 * other blocks and show as text, so a later line never changes a block already shown, which is what
 * lets {@link IncrementalMarkdown} send each finished block once. Thread-safe.
 */
public final class MarkdownRenderer {

  private static final MarkdownRenderer INSTANCE = new MarkdownRenderer();

  private final Parser parser;
  private final HtmlRenderer renderer;

  private MarkdownRenderer() {
    List<Extension> extensions = List.of(TablesExtension.create(),
        StrikethroughExtension.builder().requireTwoTildes(true).build(), AutolinkExtension.create());
    parser = Parser.builder()
        // HTML blocks would swallow text up to a blank line (or a closing tag) as one escaped lump.
        .enabledBlockTypes(java.util.Set.<Class<? extends Block>>of(Heading.class, FencedCodeBlock.class,
            IndentedCodeBlock.class, BlockQuote.class, ThematicBreak.class, ListBlock.class))
        .includeSourceSpans(IncludeSourceSpans.BLOCKS)
        .customBlockParserFactory(new MathSyntax.BlockFactory())
        .customInlineContentParserFactory(new MathSyntax.InlineFactory())
        .inlineParserFactory(LocalLinks::inlineParser)
        // Before the extensions' own: autolink then turns a definition's bare URL into a link.
        .postProcessor(LocalLinks::definitionsAsText)
        .extensions(extensions)
        .build();
    renderer = HtmlRenderer.builder()
        .escapeHtml(true)
        .sanitizeUrls(true)
        .urlSanitizer(new DefaultUrlSanitizer(List.of("http", "https", "mailto")))
        .attributeProviderFactory(ctx -> (node, tag, attrs) -> {
          if (tag.equals("a")) {
            attrs.put("rel", "nofollow noopener noreferrer");
            attrs.put("target", "_blank");
          }
        })
        .nodeRendererFactory(SafeNodes.ImageAsLink::new)
        .nodeRendererFactory(SafeNodes.CodeBlocks::new)
        .nodeRendererFactory(MathSyntax.Renderer::new)
        .extensions(extensions)
        .build();
  }

  public static MarkdownRenderer get() {
    return INSTANCE;
  }

  /** The whole text at once: what a stored answer shows, and what a streamed one ends as. */
  public String toHtml(String markdown) {
    return renderer.render(parse(markdown));
  }

  /** Carriage returns are dropped: a lone one cannot be told from the first half of CR LF at a chunk's end. */
  Node parse(String markdown) {
    return parser.parse(markdown.indexOf('\r') < 0 ? markdown : markdown.replace("\r", ""));
  }

  String render(Node node) {
    return renderer.render(node);
  }
}
