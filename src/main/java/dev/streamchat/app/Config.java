package dev.streamchat.app;

import dev.streamchat.auth.AuthSettings;
import dev.streamchat.auth.TrustedProxies;
import dev.streamchat.filter.FilterRules;
import dev.streamchat.filter.FilterSettings;
import dev.streamchat.stream.journal.Durability;
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
    long maxStoredBytes,
    AuthSettings auth,
    Optional<Tls> tls,
    String pageTransport,
    FilterSettings filters,
    Faults faults,
    Durability fsync,
    Optional<Cluster> cluster,
    Admit admit,
    int eventLoops) {

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
        e.integer("STREAMCHAT_MAX_STORED_KB", DEFAULT_MAX_STORED_KB, 1, Integer.MAX_VALUE) * 1024L,
        auth(e),
        Tls.from(e),
        e.choice("STREAMCHAT_PAGE_TRANSPORT", PageTransport.SHARED, PageTransport.class).name().toLowerCase(java.util.Locale.ROOT),
        filters(e),
        Faults.from(e),
        e.string("STREAMCHAT_FSYNC").map(v -> Durability.parse("STREAMCHAT_FSYNC", v)).orElse(Durability.OS),
        cluster(e),
        new Admit(
            e.integer("STREAMCHAT_ADMIT_MAX_LOOP_DELAY_MS", Admit.DEFAULT_MAX_LOOP_DELAY_MS, 1, 600_000),
            e.integer("STREAMCHAT_ADMIT_MAX_PENDING_KB", Admit.DEFAULT_MAX_PENDING_KB, 1, 64 * 1024 * 1024) * 1024L),
        e.integer("STREAMCHAT_EVENT_LOOPS", defaultEventLoops(), 1, 1024));
  }

  /**
   * One event loop per core: a generation's lane and its viewers' web verticle then share a loop
   * more often than with Vert.x's two per core, so fewer chunks cross from one loop to another.
   */
  static int defaultEventLoops() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** Answer filters (issue 15): redaction rules, the rules file, moderation. */
  private static FilterSettings filters(Env e) {
    Optional<String> moderation = e.string("STREAMCHAT_MODERATION_URL");
    moderation.ifPresent(url -> {
      if (!url.matches("(?i)https?://[^\\s/]+.*")) {
        throw new IllegalArgumentException("STREAMCHAT_MODERATION_URL must be an http(s) URL such as "
            + "https://api.openai.com/v1/moderations, not '" + url + "'");
      }
    });
    return new FilterSettings(
        FilterRules.read(e.env().get("STREAMCHAT_REDACT"), e.string("STREAMCHAT_FILTERS").map(Path::of).orElse(null)),
        e.integer("STREAMCHAT_FILTER_HOLD_CHARS", FilterSettings.DEFAULT_HOLD_CHARS, 1, 1_000_000),
        moderation,
        e.string("STREAMCHAT_MODERATION_API_KEY"),
        e.integer("STREAMCHAT_MODERATION_WINDOW_CHARS", FilterSettings.DEFAULT_WINDOW_CHARS, 16, 1_000_000),
        e.integer("STREAMCHAT_MODERATION_TIMEOUT_MS", FilterSettings.DEFAULT_MODERATION_TIMEOUT_MS, 100, 600_000));
  }

  /**
   * STREAMCHAT_REDIS_URL makes this instance one of a service: it needs STREAMCHAT_DATABASE_URL
   * (every instance must see the same conversations) and a name unique in the service,
   * STREAMCHAT_INSTANCE_ADDRESS, by default this host's name and STREAMCHAT_PORT.
   */
  private static Optional<Cluster> cluster(Env e) {
    Optional<String> url = e.string("STREAMCHAT_REDIS_URL");
    if (url.isEmpty()) return Optional.empty();
    if (!url.get().matches("rediss?://[^\\s]+")) {
      throw new IllegalArgumentException("STREAMCHAT_REDIS_URL must look like redis://host:6379/0, not '" + url.get() + "'");
    }
    if (e.string("STREAMCHAT_DATABASE_URL").isEmpty()) {
      throw new IllegalArgumentException("STREAMCHAT_REDIS_URL needs STREAMCHAT_DATABASE_URL: instances of one service "
          + "share their conversations in PostgreSQL");
    }
    int port = e.integer("STREAMCHAT_PORT", DEFAULT_PORT, 0, 65535);
    String address = e.string("STREAMCHAT_INSTANCE_ADDRESS").orElseGet(() -> {
      if (port == 0) {
        throw new IllegalArgumentException("STREAMCHAT_PORT=0 with STREAMCHAT_REDIS_URL needs STREAMCHAT_INSTANCE_ADDRESS "
            + "(a name unique among the instances, such as host:port)");
      }
      return hostName() + ":" + port;
    });
    if (!address.matches("[A-Za-z0-9._:\\[\\]-]{1,200}")) {
      throw new IllegalArgumentException("STREAMCHAT_INSTANCE_ADDRESS must be host:port, not '" + address + "'");
    }
    String prefix = e.string("STREAMCHAT_REDIS_PREFIX").orElse(Cluster.DEFAULT_PREFIX);
    if (!prefix.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("STREAMCHAT_REDIS_PREFIX must be 1 to 64 letters, digits, '.', '_' or '-', not '"
          + prefix + "'");
    }
    return Optional.of(new Cluster(url.get(), address, prefix,
        e.integer("STREAMCHAT_REDIS_TTL_SECONDS", Cluster.DEFAULT_TTL_SECONDS, 60, 30 * 24 * 3600),
        e.integer("STREAMCHAT_REDIS_LEASE_MS", Cluster.DEFAULT_LEASE_MS, 1000, 300_000)));
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException ex) {
      throw new IllegalArgumentException("this host's name cannot be found; set STREAMCHAT_INSTANCE_ADDRESS");
    }
  }

  /**
   * Several instances as one service over Redis.
   *
   * @param redisUrl {@code redis://host:port/db}
   * @param instance this instance's name in the service (its {@code host:port})
   * @param prefix what every Redis key and channel of this service begins with
   * @param finishedTtlSeconds how long Redis keeps an ended answer's log (PostgreSQL keeps the answer)
   * @param leaseMs how long an instance that stopped renewing its lease counts as alive; the others
   *     claim its answers after that
   */
  public record Cluster(String redisUrl, String instance, String prefix, int finishedTtlSeconds, int leaseMs) {
    public static final String DEFAULT_PREFIX = "streamchat";
    public static final int DEFAULT_TTL_SECONDS = 3600;
    public static final int DEFAULT_LEASE_MS = 6000;
  }

  /**
   * Who may use the server: STREAMCHAT_AUTH (open | accounts | proxy), STREAMCHAT_SIGNUP
   * (open | invite | closed), and for proxy mode the header naming the user and the proxies
   * believed to set it. Proxy mode without either refuses to start.
   */
  private static AuthSettings auth(Env e) {
    AuthSettings.Mode mode = e.choice("STREAMCHAT_AUTH", AuthSettings.Mode.OPEN, AuthSettings.Mode.class);
    AuthSettings.Signup signup = e.choice("STREAMCHAT_SIGNUP", AuthSettings.Signup.OPEN, AuthSettings.Signup.class);
    Optional<String> header = e.string("STREAMCHAT_AUTH_HEADER");
    if (header.isPresent() && !header.get().matches("[A-Za-z0-9-]{1,100}")) {
      throw new IllegalArgumentException("STREAMCHAT_AUTH_HEADER must be a header name such as X-Forwarded-Email, not '"
          + header.get() + "'");
    }
    TrustedProxies proxies;
    try {
      proxies = TrustedProxies.parse(e.string("STREAMCHAT_TRUSTED_PROXIES").orElse(""));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("STREAMCHAT_TRUSTED_PROXIES: " + ex.getMessage());
    }
    if (mode == AuthSettings.Mode.PROXY && (header.isEmpty() || proxies.isEmpty())) {
      throw new IllegalArgumentException("STREAMCHAT_AUTH=proxy needs STREAMCHAT_AUTH_HEADER (e.g. X-Forwarded-Email) "
          + "and STREAMCHAT_TRUSTED_PROXIES (the proxy's addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8)");
    }
    return new AuthSettings(mode, signup, header, proxies);
  }

  /** How the chat page receives its streams: one shared socket per browser, a socket per tab, or SSE. */
  public enum PageTransport { SHARED, WEBSOCKET, SSE }

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

  /**
   * When new answers are refused for pressure (README, "Limits"): the event loops this late, or
   * this much answer text waiting for the journal. Below half of both, for a second, they are
   * admitted again.
   */
  public record Admit(int maxLoopDelayMs, long maxPendingBytes) {
    public static final int DEFAULT_MAX_LOOP_DELAY_MS = 50;
    public static final int DEFAULT_MAX_PENDING_KB = 4096;
  }

  /**
   * How the service holds up when something around it fails: the database, the disk, slow or
   * hostile clients. Each bound is set by its variable (README, "Faults").
   */
  public record Faults(
      int dbConnectTimeoutMs,
      int dbQueryTimeoutMs,
      long minFreeBytes,
      int headerTimeoutMs,
      int bodyTimeoutMs,
      int keepAliveTimeoutMs,
      int maxConnections,
      int adminAttemptsPerMinute) {

    /** Descriptors kept back from the connection cap for the database, logs and model servers. */
    static final int DESCRIPTOR_RESERVE = 128;

    static Faults from(Env e) {
      return new Faults(
          e.integer("STREAMCHAT_DB_CONNECT_TIMEOUT_MS", 1500, 250, 60_000),
          e.integer("STREAMCHAT_DB_QUERY_TIMEOUT_MS", 1500, 250, 600_000),
          e.integer("STREAMCHAT_MIN_FREE_MB", 64, 0, 1_000_000) * 1024L * 1024L,
          e.integer("STREAMCHAT_HEADER_TIMEOUT_MS", 10_000, 100, 600_000),
          e.integer("STREAMCHAT_BODY_TIMEOUT_MS", 30_000, 100, 3_600_000),
          e.integer("STREAMCHAT_KEEPALIVE_TIMEOUT_MS", 30_000, 100, 3_600_000),
          e.integer("STREAMCHAT_MAX_CONNECTIONS", defaultMaxConnections(), 16, 10_000_000),
          e.integer("STREAMCHAT_ADMIN_ATTEMPTS_PER_MINUTE", 10, 1, 100_000));
    }

    /** The open-file limit less a reserve (1,024 gives 896), so accepting never exhausts it. */
    static int defaultMaxConnections() {
      long limit = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 10_240;
      long reserve = Math.max(DESCRIPTOR_RESERVE, limit / 8);
      return (int) Math.max(16, Math.min(1_000_000, limit - reserve));
    }
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

    /** One of an enum's constants, named in any case. */
    <E extends Enum<E>> E choice(String name, E fallback, Class<E> type) {
      return string(name).map(v -> {
        for (E c : type.getEnumConstants()) {
          if (c.name().equalsIgnoreCase(v)) return c;
        }
        throw new IllegalArgumentException(name + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
            .map(c -> c.name().toLowerCase(java.util.Locale.ROOT)).toList() + ", not '" + v + "'");
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
