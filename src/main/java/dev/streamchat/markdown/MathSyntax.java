package dev.streamchat.markdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.commonmark.node.Block;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.CustomNode;
import org.commonmark.node.Node;
import org.commonmark.parser.SourceLine;
import org.commonmark.parser.block.AbstractBlockParser;
import org.commonmark.parser.block.BlockContinue;
import org.commonmark.parser.block.BlockParserFactory;
import org.commonmark.parser.block.BlockStart;
import org.commonmark.parser.block.MatchedBlockParser;
import org.commonmark.parser.block.ParserState;
import org.commonmark.parser.beta.InlineContentParser;
import org.commonmark.parser.beta.InlineContentParserFactory;
import org.commonmark.parser.beta.InlineParserState;
import org.commonmark.parser.beta.ParsedInline;
import org.commonmark.parser.beta.Position;
import org.commonmark.parser.beta.Scanner;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlWriter;

/**
 * LaTeX as chat models write it, kept verbatim (no emphasis, no escapes inside) in an element the
 * page hands to KaTeX: display math as a block ({@code $$} or {@code \[} opening a line, closed by
 * {@code $$} or {@code \]} ending one; a blank line ends it too), inline math as {@code \(…\)},
 * {@code $$…$$} or {@code $…$}. A single dollar opens only before a non-space and closes only after
 * a non-space not followed by a digit, so "$5 and $10" stays text.
 */
final class MathSyntax {

  private MathSyntax() {
  }

  /** Display math on lines of its own. */
  static final class MathBlock extends CustomBlock {
    String literal = "";
    /** Whether its closing delimiter was seen (otherwise a blank line or the end ended it). */
    boolean closed;
  }

  /** Math inside a paragraph. */
  static final class MathInline extends CustomNode {
    final String literal;
    final boolean display;

    MathInline(String literal, boolean display) {
      this.literal = literal;
      this.display = display;
    }
  }

  static final class BlockFactory implements BlockParserFactory {
    @Override
    public BlockStart tryStart(ParserState state, MatchedBlockParser matched) {
      if (state.getIndent() >= 4) return BlockStart.none();
      CharSequence line = state.getLine().getContent();
      String rest = line.subSequence(state.getNextNonSpaceIndex(), line.length()).toString().strip();
      String closer;
      if (rest.startsWith("$$")) closer = "$$";
      else if (rest.startsWith("\\[")) closer = "\\]";
      else return BlockStart.none();
      String inner = rest.substring(2);
      BlockParser parser;
      if (inner.endsWith(closer) && inner.length() > 2 && !inner.substring(0, inner.length() - 2).contains(closer)) {
        parser = new BlockParser(closer, inner.substring(0, inner.length() - 2), true);
      } else if (inner.isBlank() || (closer.equals("$$") && !inner.contains(closer))) {
        parser = new BlockParser(closer, inner, false);
      } else {
        return BlockStart.none();
      }
      return BlockStart.of(parser).atIndex(line.length());
    }
  }

  private static final class BlockParser extends AbstractBlockParser {
    private final MathBlock block = new MathBlock();
    private final String closer;
    private final List<String> lines = new ArrayList<>();
    private boolean openingLineAdded;

    BlockParser(String closer, String firstLine, boolean closed) {
      this.closer = closer;
      if (!firstLine.isBlank()) lines.add(firstLine.strip());
      block.closed = closed;
    }

    @Override
    public Block getBlock() {
      return block;
    }

    @Override
    public BlockContinue tryContinue(ParserState state) {
      if (block.closed || state.isBlank()) return BlockContinue.none();
      CharSequence line = state.getLine().getContent();
      String rest = line.subSequence(state.getIndex(), line.length()).toString();
      String trimmed = rest.strip();
      if (trimmed.endsWith(closer)) {
        String before = trimmed.substring(0, trimmed.length() - closer.length());
        if (!before.isBlank()) lines.add(before);
        block.closed = true;
        return BlockContinue.finished();
      }
      return BlockContinue.atIndex(state.getIndex());
    }

    @Override
    public void addLine(SourceLine line) {
      // The opening line's content was taken when the block started.
      if (!openingLineAdded) {
        openingLineAdded = true;
        return;
      }
      lines.add(line.getContent().toString());
    }

    @Override
    public void closeBlock() {
      block.literal = String.join("\n", lines);
    }
  }

  static final class InlineFactory implements InlineContentParserFactory {
    @Override
    public Set<Character> getTriggerCharacters() {
      return Set.of('$', '\\');
    }

    @Override
    public InlineContentParser create() {
      return MathSyntax::tryInline;
    }
  }

  private static ParsedInline tryInline(InlineParserState state) {
    Scanner s = state.scanner();
    if (s.next('\\')) {
      if (s.next('(')) return until(s, "\\)", false);
      if (s.next('[')) return until(s, "\\]", true);
      return ParsedInline.none();
    }
    s.next('$');
    if (s.next('$')) return until(s, "$$", true);
    int first = s.peekCodePoint();
    if (first == Scanner.END || Character.isWhitespace(first) || first == '$') return ParsedInline.none();
    Position start = s.position();
    while (s.hasNext()) {
      char c = s.peek();
      if (c == '\\') {
        s.next();
        s.next();
        continue;
      }
      if (c == '$') {
        int before = s.peekPreviousCodePoint();
        Position end = s.position();
        s.next();
        int after = s.peekCodePoint();
        if (!Character.isWhitespace(before) && !(after >= '0' && after <= '9')) {
          return ParsedInline.of(new MathInline(s.getSource(start, end).getContent(), false), s.position());
        }
        continue;
      }
      s.next();
    }
    return ParsedInline.none();
  }

  /** Inline math up to {@code closer}, or nothing when it never closes or holds only spaces. */
  private static ParsedInline until(Scanner s, String closer, boolean display) {
    Position start = s.position();
    while (s.hasNext()) {
      Position end = s.position();
      if (s.next(closer)) {
        String literal = s.getSource(start, end).getContent();
        if (literal.isBlank()) return ParsedInline.none();
        return ParsedInline.of(new MathInline(literal, display), s.position());
      }
      if (s.peek() == '\\' && !closer.startsWith("\\")) s.next();
      s.next();
    }
    return ParsedInline.none();
  }

  /** {@code <div class="math math-display">} or {@code <span class="math math-inline">}, the TeX as text. */
  record Renderer(HtmlNodeRendererContext ctx) implements NodeRenderer {
    @Override
    public Set<Class<? extends Node>> getNodeTypes() {
      return Set.of(MathBlock.class, MathInline.class);
    }

    @Override
    public void render(Node node) {
      HtmlWriter html = ctx.getWriter();
      if (node instanceof MathBlock block) {
        html.line();
        html.tag("div", SafeNodes.attributes("class", "math math-display"));
        html.text(block.literal);
        html.tag("/div");
        html.line();
      } else {
        MathInline math = (MathInline) node;
        html.tag("span", SafeNodes.attributes("class", math.display ? "math math-display" : "math math-inline"));
        html.text(math.literal);
        html.tag("/span");
      }
    }
  }
}
