package dev.streamchat.app;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the operator can set, read once at start from environment variables.
 * Names and defaults are the contract of shared/API.md.
 */
public record Config(
    int port,
    Path dataDir,
    Optional<String> adminToken,
    double demoTokensPerSecond,
    int demoTokens,
    Optional<String> databaseUrl,
    int maxBodyBytes,
    int maxMessageChars,
    int maxAnswerTokens,
    long maxAnswerBytes,
    Optional<String> publicUrl,
    Optional<Path> gguf,
    Upstreams upstreams,
    Optional<String> systemPrompt,
    int historyChars,
    Limits limits,
    int maxConversations,
    int maxMessagesPerConversation,
    long maxStoredBytes) {

  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_DATA_DIR = "./data";
  public static final double DEFAULT_DEMO_TPS = 30;
  public static final int DEFAULT_DEMO_TOKENS = 120;
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
  public static final int DEFAULT_MAX_MESSAGE_CHARS = 32 * 1024;
  public static final int DEFAULT_MAX_ANSWER_TOKENS = 32 * 1024;
  public static final int DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
  public static final int DEFAULT_HISTORY_CHARS = 24_000;
  public static final int DEFAULT_MAX_CONVERSATIONS = 1000;
  public static final int DEFAULT_MAX_MESSAGES = 2000;
  public static final int DEFAULT_MAX_STORED_KB = 256 * 1024;

  public static Config fromEnv() {
    return from(System.getenv());
  }

  public static Config from(Map<String, String> env) {
    Env e = new Env(env);
    return new Config(
        e.integer("STREAMCHAT_PORT", DEFAULT_PORT, 0, 65535),
        Path.of(e.string("STREAMCHAT_DATA_DIR").orElse(DEFAULT_DATA_DIR)),
        e.string("STREAMCHAT_ADMIN_TOKEN"),
        e.decimal("STREAMCHAT_DEMO_TPS", DEFAULT_DEMO_TPS, 0.1, 1_000_000),
        e.integer("STREAMCHAT_DEMO_TOKENS", DEFAULT_DEMO_TOKENS, 1, 10_000_000),
        e.string("STREAMCHAT_DATABASE_URL"),
        e.integer("STREAMCHAT_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024),
        e.integer("STREAMCHAT_MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS, 1, 16 * 1024 * 1024),
        e.integer("STREAMCHAT_MAX_ANSWER_TOKENS", DEFAULT_MAX_ANSWER_TOKENS, 1, 10_000_000),
        e.integer("STREAMCHAT_MAX_ANSWER_BYTES", DEFAULT_MAX_ANSWER_BYTES, 1024, 1024 * 1024 * 1024),
        e.string("STREAMCHAT_PUBLIC_URL"),
        e.string("STREAMCHAT_GGUF").map(Path::of),
        Upstreams.from(e),
        e.string("STREAMCHAT_SYSTEM_PROMPT"),
        e.integer("STREAMCHAT_HISTORY_CHARS", DEFAULT_HISTORY_CHARS, 1000, 16 * 1024 * 1024),
        new Limits(
            e.integer("STREAMCHAT_MAX_HEADER_BYTES", 8 * 1024, 1024, 1024 * 1024),
            e.integer("STREAMCHAT_MAX_URL_CHARS", 4096, 256, 64 * 1024),
            e.integer("STREAMCHAT_MAX_GENERATIONS_PER_SESSION", 3, 1, 10_000),
            e.integer("STREAMCHAT_MAX_GENERATIONS", 10_000, 1, 1_000_000),
            e.integer("STREAMCHAT_MAX_VIEWERS_PER_GENERATION", 20, 1, 100_000),
            e.integer("STREAMCHAT_MAX_VIEWERS_PER_SESSION", 30, 1, 100_000),
            e.integer("STREAMCHAT_MESSAGES_PER_MINUTE", 20, 1, 1_000_000),
            e.integer("STREAMCHAT_SSE_MAX_SECONDS", 600, 1, 7 * 24 * 3600),
            e.integer("STREAMCHAT_SESSION_DAYS", 30, 1, 400)),
        e.integer("STREAMCHAT_MAX_CONVERSATIONS", DEFAULT_MAX_CONVERSATIONS, 1, 10_000_000),
        e.integer("STREAMCHAT_MAX_MESSAGES", DEFAULT_MAX_MESSAGES, 2, 10_000_000),
        e.integer("STREAMCHAT_MAX_STORED_KB", DEFAULT_MAX_STORED_KB, 1, Integer.MAX_VALUE) * 1024L);
  }

  /** Bounds that keep one session from starving the others; each set by its variable. */
  public record Limits(
      int maxHeaderBytes,
      int maxUrlChars,
      int generationsPerSession,
      int generationsInAll,
      int viewersPerGeneration,
      int viewersPerSession,
      int messagesPerMinute,
      int sseMaxSeconds,
      int sessionDays) {
  }

  /** Reads typed values and refuses nonsense at start, naming the variable. */
  record Env(Map<String, String> env) {
    Optional<String> string(String name) {
      return Optional.ofNullable(env.get(name)).map(String::trim).filter(s -> !s.isEmpty());
    }

    int integer(String name, int fallback, int min, int max) {
      return string(name).map(v -> {
        try {
          int n = Integer.parseInt(v);
          if (n < min || n > max) throw new NumberFormatException();
          return n;
        } catch (NumberFormatException ex) {
          throw new IllegalArgumentException(
              name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
        }
      }).orElse(fallback);
    }

    double decimal(String name, double fallback, double min, double max) {
      return string(name).map(v -> {
        try {
          double d = Double.parseDouble(v);
          if (!(d >= min && d <= max)) throw new NumberFormatException();
          return d;
        } catch (NumberFormatException ex) {
          throw new IllegalArgumentException(
              name + " must be a number from " + min + " to " + max + ", not '" + v + "'");
        }
      }).orElse(fallback);
    }
  }
}
