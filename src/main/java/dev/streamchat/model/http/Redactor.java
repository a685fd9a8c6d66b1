package dev.streamchat.model.http;

import java.util.List;
import java.util.Objects;

/** Removes secrets (API keys) from text that came from upstream before anyone sees it. */
public final class Redactor {

  private final List<String> secrets;

  public Redactor(String... secrets) {
    this.secrets = java.util.Arrays.stream(secrets).filter(Objects::nonNull).filter(s -> s.length() >= 4).toList();
  }

  public String redact(String text) {
    String out = text;
    for (String s : secrets) out = out.replace(s, "[redacted]");
    return out;
  }
}
