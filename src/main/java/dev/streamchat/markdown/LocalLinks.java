package dev.streamchat.markdown;

import org.commonmark.internal.InlineParserImpl;
import org.commonmark.node.LinkReferenceDefinition;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.Text;
import org.commonmark.parser.InlineParser;
import org.commonmark.parser.InlineParserContext;
import org.commonmark.parser.beta.InlineContentParserFactory;
import org.commonmark.parser.beta.LinkProcessor;
import org.commonmark.parser.delimiter.DelimiterProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reference links ({@code [text][ref]} with {@code [ref]: url} elsewhere) would let a line written
 * later turn text in an earlier block into a link, so a block shown while streaming could change
 * after it was sent. They are off: references never resolve, and a definition line shows as the text
 * it is (its URL becomes a link through autolink).
 */
final class LocalLinks {

  private LocalLinks() {
  }

  /** commonmark's own inline parser, asked for definitions that never exist. */
  static InlineParser inlineParser(InlineParserContext context) {
    return new InlineParserImpl(new InlineParserContext() {
      @Override
      public List<InlineContentParserFactory> getCustomInlineContentParserFactories() {
        return context.getCustomInlineContentParserFactories();
      }

      @Override
      public List<DelimiterProcessor> getCustomDelimiterProcessors() {
        return context.getCustomDelimiterProcessors();
      }

      @Override
      public List<LinkProcessor> getCustomLinkProcessors() {
        return context.getCustomLinkProcessors();
      }

      @Override
      public Set<Character> getCustomLinkMarkers() {
        return context.getCustomLinkMarkers();
      }

      @Override
      public int getMaxInlineNesting() {
        return context.getMaxInlineNesting();
      }

      @Override
      @SuppressWarnings("deprecation")
      public LinkReferenceDefinition getLinkReferenceDefinition(String label) {
        return null;
      }

      @Override
      public <D> D getDefinition(Class<D> type, String label) {
        return null;
      }
    });
  }

  /** Each definition becomes a paragraph showing it as written, e.g. {@code [1]: https://example.com}. */
  static Node definitionsAsText(Node document) {
    List<LinkReferenceDefinition> definitions = new ArrayList<>();
    collect(document, definitions);
    for (LinkReferenceDefinition d : definitions) {
      StringBuilder text = new StringBuilder("[").append(d.getLabel()).append("]: ").append(d.getDestination());
      if (d.getTitle() != null) text.append(" \"").append(d.getTitle()).append('"');
      Paragraph p = new Paragraph();
      p.appendChild(new Text(text.toString()));
      p.setSourceSpans(d.getSourceSpans());
      d.insertBefore(p);
      d.unlink();
    }
    return document;
  }

  private static void collect(Node parent, List<LinkReferenceDefinition> into) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNext()) {
      if (n instanceof LinkReferenceDefinition d) into.add(d);
      else collect(n, into);
    }
  }
}
