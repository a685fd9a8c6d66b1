package dev.streamchat.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterRulesTest {

  @TempDir
  Path dir;

  @Test
  void readsTheEnvironmentLinesThenTheFileRulesInOrder() throws Exception {
    Path file = dir.resolve("filters.txt");
    Files.writeString(file, """
        # keys and names
        pattern: sk-[A-Za-z0-9]{20,}
        replacement: [key removed]

        pattern: (?i)acme\\s+corp
        ends-answer: As an AI model
        """);
    List<Rule> rules = FilterRules.read("ghp_[A-Za-z0-9]{36}\n\n\\d{4}-\\d{4}", file);
    assertEquals(5, rules.size());
    assertEquals("[redacted]", rules.get(0).replacement());
    assertEquals("[key removed]", rules.get(2).replacement());
    assertEquals("[redacted]", rules.get(3).replacement());
    assertTrue(rules.get(4).endsAnswer());
    assertEquals("STREAMCHAT_REDACT line 3", rules.get(1).source());
  }

  @Test
  void mistakesNameTheSourceAndLine() throws Exception {
    Path file = dir.resolve("bad.txt");
    Files.writeString(file, "pattern: fine\n\npattern: (unclosed\n");
    String message = assertThrows(IllegalArgumentException.class, () -> FilterRules.read(null, file)).getMessage();
    assertTrue(message.startsWith("STREAMCHAT_FILTERS=" + file + " line 3: not a valid regular expression"), message);

    Files.writeString(file, "replacement: x\n");
    message = assertThrows(IllegalArgumentException.class, () -> FilterRules.read(null, file)).getMessage();
    assertTrue(message.contains("line 1: a replacement belongs on the line right after its pattern"), message);

    Files.writeString(file, "patern: x\n");
    message = assertThrows(IllegalArgumentException.class, () -> FilterRules.read(null, file)).getMessage();
    assertTrue(message.contains("line 1: unknown key 'patern'"), message);

    message = assertThrows(IllegalArgumentException.class, () -> FilterRules.read(null, dir.resolve("none"))).getMessage();
    assertTrue(message.contains("cannot be read"), message);
  }

  @Test
  void patternsThatMatchEmptyTextAreRefused() {
    for (String empty : List.of("a*", "\\b", "(?=x)|y", "x?", "^")) {
      String message = assertThrows(IllegalArgumentException.class, () -> FilterRules.read("ok\n" + empty, null),
          empty).getMessage();
      assertTrue(message.startsWith("STREAMCHAT_REDACT line 2: the pattern /"), message);
    }
  }
}
