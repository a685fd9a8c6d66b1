package dev.streamchat.markdown;

import dev.streamchat.markdown.MathSyntax.MathBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.ListBlock;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SourceSpan;
import org.commonmark.node.ThematicBreak;

/**
 * An answer's Markdown rendered while it grows: the top-level blocks that are <em>finished</em>,
 * each rendered once, and the {@link Tail} (the rest, as it reads so far). A block is finished when
 * no later text can change it: a block after it began on a complete line, or it is closed (a
 * heading's line ended, a fence closed, a blank line ended a paragraph, quote or table); a list or
 * indented code is finished only when something else begins after it.
 *
 * <p>Everything is a function of the text so far, whatever the pieces it came in: the finished
 * blocks and the tail after text T are the same whether T came at once or token by token, so a
 * page that resumes after chunk N, reloads or opens the stored answer shows the same HTML. When the
 * answer ends, {@link #end()} finishes the rest: the finished blocks then add up to
 * {@link MarkdownRenderer#toHtml} of the whole text.
 *
 * <p>The work is about linear in the answer: only the unfinished blocks are parsed again, the
 * structure only when a line completes, and a top-level code block still being written grows by
 * its lines without being parsed at all. Not thread-safe: one per generation per event loop.
 */
public final class IncrementalMarkdown {

  /** Blocks finished by one step, and the tail after it. */
  public record Step(List<String> finished, Tail tail) {
  }

  /** The kind of the last unfinished block, as far as it decides what of a partial line may show. */
  enum Kind { NONE, PARAGRAPH, TABLE, MATH, OTHER }

  private final MarkdownRenderer md = MarkdownRenderer.get();
  private final List<String> finished = new ArrayList<>();
  /** The text from the start of the first unfinished block on, without carriage returns. */
  private final StringBuilder region = new StringBuilder();
  /** How much of {@link #region} is complete lines (up to and with its last newline). */
  private int complete;
  private Kind kind = Kind.NONE;
  /** Set while the region is one top-level fenced code block not closed yet. */
  private OpenFence fence;
  private Tail tail = Tail.EMPTY;
  private boolean ended;

  /** The state after {@code text} from scratch, as a resume or a reload needs it. */
  public static IncrementalMarkdown of(String text) {
    IncrementalMarkdown m = new IncrementalMarkdown();
    m.append(text);
    return m;
  }

  public List<String> finishedBlocks() {
    return Collections.unmodifiableList(finished);
  }

  public Tail tail() {
    return tail;
  }

  /** The HTML shown now: every finished block, then the tail with its code in place. */
  public String html() {
    return String.join("", finished) + tail.withCode();
  }

  /** Takes the next piece of the answer. */
  public Step append(String text) {
    if (ended) throw new IllegalStateException("the answer has ended");
    int before = finished.size();
    boolean newLine = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r') continue;
      region.append(c);
      if (c == '\n') newLine = true;
    }
    if (newLine) takeCompleteLines();
    tail = fence != null ? fence.tail(region.substring(complete)) : TailDisplay.of(md, region, complete, kind);
    return new Step(List.copyOf(finished.subList(before, finished.size())), tail);
  }

  /** The answer is complete: whatever is left is finished. */
  public Step end() {
    if (ended) return new Step(List.of(), Tail.EMPTY);
    ended = true;
    int before = finished.size();
    Node doc = md.parse(region.toString());
    for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) finished.add(md.render(n));
    region.setLength(0);
    complete = 0;
    fence = null;
    tail = Tail.EMPTY;
    return new Step(List.copyOf(finished.subList(before, finished.size())), tail);
  }

  /** New complete lines: move finished blocks out of the region. */
  private void takeCompleteLines() {
    int end = region.lastIndexOf("\n") + 1;
    if (fence != null) {
      int closedAt = fence.takeLines(region, complete, end);
      complete = end;
      if (closedAt < 0) return;
      // The fence closed: it is one finished block; what follows it is parsed as usual.
      finished.add(md.render(md.parse(region.substring(0, closedAt)).getFirstChild()));
      region.delete(0, closedAt);
      complete = end - closedAt;
      fence = null;
    } else {
      complete = end;
    }
    parseRegion();
  }

  private void parseRegion() {
    String lines = region.substring(0, complete);
    Node doc = md.parse(lines);
    List<Node> blocks = new ArrayList<>();
    for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) blocks.add(n);
    if (blocks.isEmpty()) {
      kind = Kind.NONE;
      return;
    }
    int[] lineStarts = lineStarts(lines);
    Node last = blocks.get(blocks.size() - 1);
    int lastLine = lastLine(last);
    boolean lastFinished = isClosed(last, lastLine < lineStarts.length - 1);
    int keep = lastFinished ? blocks.size() : blocks.size() - 1;
    for (int i = 0; i < keep; i++) finished.add(md.render(blocks.get(i)));
    int cut = lastFinished ? complete : lineStarts[firstLine(last)];
    region.delete(0, cut);
    complete -= cut;
    kind = lastFinished ? Kind.NONE : kindOf(last);
    if (!lastFinished && last instanceof FencedCodeBlock code && code.getClosingFenceLength() == null) {
      fence = new OpenFence(md, code);
    }
  }

  /**
   * Whether nothing after {@code block} can change it: when a blank line follows, every block but a
   * list, indented code and an open fence is closed; otherwise only a block closed by its own line.
   */
  private static boolean isClosed(Node block, boolean blankLineAfter) {
    if (block instanceof FencedCodeBlock code) return code.getClosingFenceLength() != null;
    if (block instanceof MathBlock math && math.closed) return true;
    if (block instanceof Heading || block instanceof ThematicBreak) return true;
    if (!blankLineAfter) return false;
    return !(block instanceof ListBlock || block instanceof IndentedCodeBlock);
  }

  private static Kind kindOf(Node block) {
    if (block instanceof Paragraph) return Kind.PARAGRAPH;
    if (block instanceof TableBlock) return Kind.TABLE;
    if (block instanceof MathBlock) return Kind.MATH;
    return Kind.OTHER;
  }

  private static int firstLine(Node block) {
    return spans(block).get(0).getLineIndex();
  }

  private static int lastLine(Node block) {
    List<SourceSpan> spans = spans(block);
    return spans.get(spans.size() - 1).getLineIndex();
  }

  private static List<SourceSpan> spans(Node block) {
    List<SourceSpan> spans = block.getSourceSpans();
    if (spans.isEmpty()) throw new IllegalStateException("no source position for " + block);
    return spans;
  }

  /** Offsets where each line of {@code lines} (which ends with a newline) starts. */
  private static int[] lineStarts(String lines) {
    int count = 0;
    for (int i = 0; i < lines.length(); i++) if (lines.charAt(i) == '\n') count++;
    int[] starts = new int[count];
    int line = 0;
    for (int i = 0; i < lines.length() && line < count; i++) {
      if (i == 0 || lines.charAt(i - 1) == '\n') starts[line++] = i;
    }
    return starts;
  }

  /**
   * A top-level fenced code block being written: its lines are checked for the closing fence and
   * added to the code as they complete, without parsing; the html around them never changes.
   */
  private static final class OpenFence {
    private final char fenceChar;
    private final int fenceLength;
    private final int fenceIndent;
    private final String shell;
    private final StringBuilder code;
    /** {@link #code} as a string, made again only when a line completes. */
    private String lines;

    OpenFence(MarkdownRenderer md, FencedCodeBlock block) {
      fenceChar = block.getFenceCharacter().charAt(0);
      fenceLength = block.getOpeningFenceLength();
      fenceIndent = block.getFenceIndent();
      code = new StringBuilder(block.getLiteral());
      lines = code.toString();
      FencedCodeBlock empty = new FencedCodeBlock();
      empty.setInfo(block.getInfo());
      empty.setLiteral("");
      shell = md.render(empty);
    }

    /** Takes the complete lines in {@code [from, to)}; where the block ends if one of them closes it, else -1. */
    int takeLines(CharSequence text, int from, int to) {
      int start = from;
      try {
        while (start < to) {
          int nl = indexOf(text, '\n', start);
          String line = text.subSequence(start, nl).toString();
          if (closes(line)) return nl + 1;
          code.append(dedent(line)).append('\n');
          start = nl + 1;
        }
        return -1;
      } finally {
        lines = code.toString();
      }
    }

    Tail tail(String partialLine) {
      boolean hold = partialLine.isEmpty() || couldClose(partialLine);
      return new Tail(shell, lines, hold ? "" : dedent(partialLine));
    }

    private boolean closes(String line) {
      int i = leadingSpaces(line, 3);
      int run = 0;
      while (i + run < line.length() && line.charAt(i + run) == fenceChar) run++;
      return run >= fenceLength && line.substring(i + run).isBlank();
    }

    /** A partial line that is only fence characters might become the closing fence: not shown yet. */
    private boolean couldClose(String line) {
      String rest = line.substring(leadingSpaces(line, 3));
      if (rest.isEmpty()) return true;
      for (int i = 0; i < rest.length(); i++) if (rest.charAt(i) != fenceChar) return false;
      return true;
    }

    private String dedent(String line) {
      return line.substring(leadingSpaces(line, fenceIndent));
    }

    private static int leadingSpaces(String line, int max) {
      int i = 0;
      while (i < max && i < line.length() && line.charAt(i) == ' ') i++;
      return i;
    }

    private static int indexOf(CharSequence text, char c, int from) {
      for (int i = from; i < text.length(); i++) if (text.charAt(i) == c) return i;
      return -1;
    }
  }
}
