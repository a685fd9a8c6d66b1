package dev.streamchat.markdown;

import dev.streamchat.markdown.IncrementalMarkdown.Kind;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;
import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.node.Block;
import org.commonmark.node.Heading;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SourceSpan;

/**
 * How the unfinished part of an answer reads while it grows. A partial last line whose kind is not
 * known yet is held back ({@code -}, {@code #}, {@code 1.}, {@code |}, a fence, a lone {@code $}), so
 * a block never shows as one kind and then turns into another; a pipe row ending a paragraph waits
 * for the next line, which tells whether it heads a table. Syntax left open on the last line is
 * closed for display only: {@code **bol} shows bold, {@code `co} code, {@code [link](htt} the text.
 */
final class TailDisplay {

  private static final Pattern HEADING_MARK = Pattern.compile("#{1,6}");
  /** A bullet, a rule or a setext underline: which one, the rest of the line tells. */
  private static final Pattern MARKS = Pattern.compile("[-*+_=\\s]+");
  private static final Pattern ORDERED_MARK = Pattern.compile("\\d{1,9}([.)]\\s*)?");
  private static final Pattern FENCE_START = Pattern.compile("[`~]{1,2}|```.*|~~~.*");
  private static final Pattern MATH_START = Pattern.compile("[$\\\\]|\\\\\\[");
  private static final Pattern PIPES = Pattern.compile("[|\\s]+");
  private static final Pattern MATH_END = Pattern.compile("[$\\\\\\]]+");

  private TailDisplay() {
  }

  /** The tail for {@code region}, whose first {@code complete} characters are whole lines. */
  static Tail of(MarkdownRenderer md, CharSequence region, int complete, Kind kind) {
    String lines = region.subSequence(0, complete).toString();
    String partial = region.subSequence(complete, region.length()).toString();
    boolean showPartial = !holdBack(partial, kind);
    if (kind == Kind.PARAGRAPH) {
      int lastStart = lines.lastIndexOf('\n', lines.length() - 2) + 1;
      if (core(lines.substring(lastStart)).startsWith("|")) {
        lines = lines.substring(0, lastStart);
        showPartial = false;
      }
    }
    String shown = showPartial ? lines + partial : lines;
    if (shown.isBlank()) return Tail.EMPTY;
    return Tail.html(render(md, shown));
  }

  /** As commonmark escapes text. */
  static String escape(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  static boolean holdBack(String partial, Kind kind) {
    String core = core(partial);
    if (core.isEmpty()) return true;
    // A row shows once it has a cell; a line without a pipe may end the table instead.
    if (kind == Kind.TABLE) return partial.indexOf('|') < 0 || PIPES.matcher(core).matches();
    if (kind == Kind.MATH) return MATH_END.matcher(core).matches();
    return core.charAt(0) == '|'
        || HEADING_MARK.matcher(core).matches()
        || MARKS.matcher(core).matches()
        || ORDERED_MARK.matcher(core).matches()
        || FENCE_START.matcher(core).matches()
        || MATH_START.matcher(core).matches();
  }

  /** A line without its indentation and block quote markers. */
  private static String core(String line) {
    int i = 0;
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t' || line.charAt(i) == '>')) i++;
    return line.substring(i).stripTrailing();
  }

  /** Renders {@code shown}, first closing what its last line left open when that line is text. */
  private static String render(MarkdownRenderer md, String shown) {
    Node doc = md.parse(shown);
    String body = shown.endsWith("\n") ? shown.substring(0, shown.length() - 1) : shown;
    int lastStart = body.lastIndexOf('\n') + 1;
    int lastLine = 0;
    for (int i = 0; i < lastStart; i++) if (body.charAt(i) == '\n') lastLine++;
    Node leaf = doc;
    while (!(leaf instanceof TableBlock) && leaf.getLastChild() instanceof Block child) leaf = child;
    boolean text = leaf instanceof Paragraph || leaf instanceof Heading || leaf instanceof TableBlock;
    if (!text || !endsOnLine(leaf, lastLine)) return md.render(doc);
    String line = body.substring(lastStart);
    int from = 0;
    if (leaf instanceof TableBlock) from = lastUnescapedPipe(line) + 1;
    String closed = closeInline(line.substring(from));
    if (closed.equals(line.substring(from))) return md.render(doc);
    return md.render(md.parse(body.substring(0, lastStart + from) + closed + shown.substring(body.length())));
  }

  private static boolean endsOnLine(Node block, int line) {
    var spans = block.getSourceSpans();
    if (spans.isEmpty()) return false;
    SourceSpan last = spans.get(spans.size() - 1);
    return last.getLineIndex() == line;
  }

  private static int lastUnescapedPipe(String line) {
    for (int i = line.length() - 1; i >= 0; i--) {
      if (line.charAt(i) == '|' && (i == 0 || line.charAt(i - 1) != '\\')) return i;
    }
    return -1;
  }

  /**
   * Text with what it leaves open closed: a trailing run of delimiter characters is dropped (it may
   * be the first half of a closer), a half-typed link shows its text, then code spans, emphasis and
   * strikethrough still open get their closers (before any trailing spaces).
   */
  static String closeInline(String text) {
    String s = text.stripTrailing();
    String trailing = text.substring(s.length());
    int end = s.length();
    while (end > 0 && "*_~`".indexOf(s.charAt(end - 1)) >= 0) end--;
    if (end == 0) return "";
    if (end < s.length()) {
      s = s.substring(0, end).stripTrailing();
      trailing = "";
    }
    s = linkText(s);
    String closers = closers(s);
    return closers.isEmpty() && s.length() + trailing.length() == text.length() ? text : s + closers + trailing;
  }

  /** {@code [text](partial} at the end shows as {@code text}; {@code ![alt](partial} as {@code alt}. */
  private static String linkText(String s) {
    int mid = s.lastIndexOf("](");
    if (mid < 0 || s.indexOf(')', mid) >= 0) return s;
    int depth = 0;
    for (int i = mid - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c == ']') depth++;
      else if (c == '[' && depth-- == 0) {
        int cut = i > 0 && s.charAt(i - 1) == '!' ? i - 1 : i;
        return s.substring(0, cut) + s.substring(i + 1, mid);
      }
    }
    return s;
  }

  /** The closers for what {@code s} leaves open, innermost first. */
  private static String closers(String s) {
    Deque<String> open = new ArrayDeque<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '\\') {
        i += 2;
        continue;
      }
      int run = 1;
      while (i + run < n && s.charAt(i + run) == c) run++;
      if (c == '`') {
        int close = findRun(s, '`', run, i + run);
        if (close < 0) {
          // An open code span: all after it is code; it closes only around some content.
          StringBuilder out = new StringBuilder();
          if (!s.substring(i + run).isBlank()) out.append("`".repeat(run));
          open.forEach(out::append);
          return out.toString();
        }
        i = close + run;
        continue;
      }
      if (c == '$') {
        int close = s.indexOf(run >= 2 ? "$$" : "$", i + run);
        if (close < 0) break; // open math: shown as written, nothing after it is closed
        i = close + (run >= 2 ? 2 : 1);
        continue;
      }
      if (c == '*' || c == '_' || (c == '~' && run == 2)) {
        char before = i > 0 ? s.charAt(i - 1) : ' ';
        char after = i + run < n ? s.charAt(i + run) : ' ';
        boolean canClose = !Character.isWhitespace(before);
        boolean canOpen = !Character.isWhitespace(after) && (c != '_' || !Character.isLetterOrDigit(before));
        String mark = String.valueOf(c).repeat(Math.min(run, 3));
        if (canClose && !open.isEmpty() && open.peek().charAt(0) == c) open.pop();
        else if (canOpen) open.push(mark);
      }
      i += run;
    }
    StringBuilder out = new StringBuilder();
    open.forEach(out::append);
    return out.toString();
  }

  /** Where the next run of exactly {@code length} {@code c} starts at or after {@code from}, or -1. */
  private static int findRun(String s, char c, int length, int from) {
    int i = from;
    while (i < s.length()) {
      if (s.charAt(i) != c) {
        i++;
        continue;
      }
      int run = 1;
      while (i + run < s.length() && s.charAt(i + run) == c) run++;
      if (run == length) return i;
      i += run;
    }
    return -1;
  }
}
