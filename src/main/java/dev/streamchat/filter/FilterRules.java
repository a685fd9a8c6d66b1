package dev.streamchat.filter;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the operator's rules: {@code STREAMCHAT_REDACT} (one Java regular expression per line,
 * matches become {@code [redacted]}) and the file named by {@code STREAMCHAT_FILTERS}, a line
 * format (blank lines and lines starting with {@code #} are skipped; the value runs from after
 * the colon to the end of the line, surrounding spaces removed):
 * <pre>
 * pattern: sk-[A-Za-z0-9]{20,}       a Java regular expression; matches become [redacted]
 * replacement: [key removed]         optional, right after a pattern: its own replacement
 * ends-answer: As an AI model        a phrase (literal, any case) that ends the answer before it
 * </pre>
 * Any mistake stops the start with a message naming the variable or file and the line.
 */
public final class FilterRules {

  private FilterRules() {
  }

  /** The rules of both sources, {@code STREAMCHAT_REDACT}'s first, in the order written. */
  public static List<Rule> read(String redact, Path file) {
    List<Rule> rules = new ArrayList<>();
    if (redact != null) rules.addAll(fromRedact(redact));
    if (file != null) rules.addAll(fromFile(file));
    return List.copyOf(rules);
  }

  static List<Rule> fromRedact(String value) {
    List<Rule> rules = new ArrayList<>();
    String[] lines = value.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) continue;
      String where = "STREAMCHAT_REDACT line " + (i + 1);
      rules.add(Rule.redact(compile(lines[i].strip(), where), Rule.REDACTED, where));
    }
    return rules;
  }

  static List<Rule> fromFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("STREAMCHAT_FILTERS=" + file + ": the file is not UTF-8 text");
    } catch (IOException e) {
      throw new IllegalArgumentException("STREAMCHAT_FILTERS=" + file + " cannot be read: " + e);
    }
    return parse(lines, "STREAMCHAT_FILTERS=" + file);
  }

  static List<Rule> parse(List<String> lines, String name) {
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      String where = name + " line " + (i + 1);
      if (line.isEmpty() || line.startsWith("#")) continue;
      int colon = line.indexOf(':');
      if (colon < 0) throw new IllegalArgumentException(where + ": expected 'pattern:', 'replacement:' or 'ends-answer:'");
      String key = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "pattern" -> {
          if (value.isEmpty()) throw new IllegalArgumentException(where + ": the pattern is empty");
          rules.add(Rule.redact(compile(value, where), Rule.REDACTED, where));
        }
        case "replacement" -> {
          Rule last = rules.isEmpty() ? null : rules.get(rules.size() - 1);
          if (last == null || last.endsAnswer() || !last.replacement().equals(Rule.REDACTED)
              || !lines.get(i - 1).strip().startsWith("pattern")) {
            throw new IllegalArgumentException(where + ": a replacement belongs on the line right after its pattern");
          }
          rules.set(rules.size() - 1, Rule.redact(last.pattern(), value, last.source()));
        }
        case "ends-answer" -> rules.add(Rule.endsAnswer(value, where));
        default -> throw new IllegalArgumentException(where + ": unknown key '" + key
            + "' (expected pattern, replacement or ends-answer)");
      }
    }
    return rules;
  }

  private static Pattern compile(String regex, String where) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(where + ": not a valid regular expression: "
          + e.getDescription() + " near index " + e.getIndex() + " of /" + regex + "/");
    }
  }
}
