package dev.streamchat.markdown;

/**
 * The growing last part of an answer as the page shows it: {@code html}, and when that ends in a
 * code block still being written, the code in it so far as plain text (which the page puts in the
 * block's {@code <code>} element): its complete lines and the line being written. Keeping the code
 * apart lets a long block grow by its new characters instead of being sent whole for every token;
 * keeping its complete lines apart (one string that changes only when a line completes) keeps the
 * work per token independent of the block's length.
 */
public record Tail(String html, String codeLines, String codeLine) {

  public static final Tail EMPTY = new Tail("", null, null);

  static Tail html(String html) {
    return new Tail(html, null, null);
  }

  public boolean isCode() {
    return codeLines != null;
  }

  /** The html as the page shows it: with the code (escaped) inside its last {@code <code>} element. */
  public String withCode() {
    if (!isCode()) return html;
    int at = html.lastIndexOf("</code>");
    return html.substring(0, at) + TailDisplay.escape(code()) + html.substring(at);
  }

  /** The code so far, or null when the tail is no open code block. */
  public String code() {
    return isCode() ? codeLines + codeLine : null;
  }

  /**
   * What turns {@code before} into this tail: the html to change (null when it stays) and the code
   * to change (null when there is none or it stays). When the html changes the page rebuilds the
   * tail, so the code (if any) comes whole.
   */
  public Change since(Tail before) {
    if (html.equals(before.html) && isCode() && before.isCode()) {
      Edit code = codeEdit(before);
      return new Change(null, code.keep() == before.codeLength() && code.add().isEmpty() ? null : code);
    }
    if (html.equals(before.html) && !isCode() && !before.isCode()) return new Change(null, null);
    Edit htmlEdit = Edit.between(before.html, html);
    return new Change(htmlEdit, isCode() ? new Edit(0, code()) : null);
  }

  /** The code edit, comparing the complete lines only when they changed. */
  private Edit codeEdit(Tail before) {
    int keep;
    if (codeLines == before.codeLines || codeLines.equals(before.codeLines)) {
      keep = codeLines.length() + Edit.commonPrefix(before.codeLine, codeLine);
    } else if (codeLines.startsWith(before.codeLines)) {
      String added = codeLines.substring(before.codeLines.length()) + codeLine;
      keep = before.codeLines.length() + Edit.commonPrefix(before.codeLine, added);
    } else {
      return Edit.between(before.code(), code());
    }
    if (keep > 0 && Character.isHighSurrogate(codeCharAt(keep - 1))) keep--;
    // Without building the whole code: the work per token stays that of its line.
    String add = keep >= codeLines.length() ? codeLine.substring(keep - codeLines.length())
        : codeLines.substring(keep) + codeLine;
    return new Edit(keep, add);
  }

  private int codeLength() {
    return codeLines.length() + codeLine.length();
  }

  private char codeCharAt(int i) {
    return i < codeLines.length() ? codeLines.charAt(i) : codeLine.charAt(i - codeLines.length());
  }

  /** The change from one tail to the next; a field is null when that part stays as it was. */
  public record Change(Edit html, Edit code) {
    public boolean isEmpty() {
      return html == null && code == null;
    }
  }

  /** The new string is the first {@code keep} characters of the old one followed by {@code add}. */
  public record Edit(int keep, String add) {

    static Edit between(String before, String after) {
      int k = commonPrefix(before, after);
      // Never between the two halves of a surrogate pair: each side must stay valid text.
      if (k > 0 && Character.isHighSurrogate(after.charAt(k - 1))) k--;
      return new Edit(k, after.substring(k));
    }

    static int commonPrefix(String a, String b) {
      int max = Math.min(a.length(), b.length());
      int k = 0;
      while (k < max && a.charAt(k) == b.charAt(k)) k++;
      return k;
    }

    public String applyTo(String before) {
      return before.substring(0, keep) + add;
    }
  }
}
