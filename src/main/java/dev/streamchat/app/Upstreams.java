package dev.streamchat.app;

import dev.streamchat.model.anthropic.AnthropicProvider;
import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Timeouts;
import dev.streamchat.model.http.UpstreamTrust;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * The model servers to talk to and how long to wait for them. Holds API keys, so its
 * {@link #toString()} names which are set and never shows one.
 */
public record Upstreams(
    Timeouts timeouts,
    Optional<String> openaiBaseUrl,
    Optional<String> openaiApiKey,
    Optional<String> ollamaHost,
    Optional<String> anthropicBaseUrl,
    Optional<String> anthropicApiKey,
    HttpStreamClient.Http2 http2,
    List<X509Certificate> extraAuthorities) {

  static Upstreams from(Config.Env e) {
    Timeouts timeouts = new Timeouts(
        e.integer("STREAMCHAT_CONNECT_TIMEOUT_MS", Timeouts.DEFAULT_CONNECT_MS, 1, 600_000),
        e.integer("STREAMCHAT_FIRST_TOKEN_TIMEOUT_MS", Timeouts.DEFAULT_FIRST_TOKEN_MS, 1, 3_600_000),
        e.integer("STREAMCHAT_IDLE_TIMEOUT_MS", Timeouts.DEFAULT_IDLE_MS, 1, 3_600_000));
    Optional<String> anthropicKey = e.string("ANTHROPIC_API_KEY");
    Optional<String> anthropicUrl = e.string("ANTHROPIC_BASE_URL")
        .or(() -> anthropicKey.map(k -> AnthropicProvider.DEFAULT_BASE_URL));
    return new Upstreams(timeouts, e.string("OPENAI_BASE_URL"), e.string("OPENAI_API_KEY"),
        e.string("OLLAMA_HOST"), anthropicUrl, anthropicKey, http2(e), extraAuthorities(e));
  }

  /** CA certificates a model server's certificate may also chain to (an in-house CA), read at start. */
  private static List<X509Certificate> extraAuthorities(Config.Env e) {
    return e.string("STREAMCHAT_UPSTREAM_CA_FILE").map(file -> {
      try {
        return UpstreamTrust.readPem(Path.of(file));
      } catch (IllegalArgumentException ex) { // also an invalid path
        throw new IllegalArgumentException("STREAMCHAT_UPSTREAM_CA_FILE: " + ex.getMessage());
      }
    }).orElse(List.of());
  }

  private static HttpStreamClient.Http2 http2(Config.Env e) {
    String v = e.string("STREAMCHAT_UPSTREAM_HTTP2").orElse("alpn");
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "off" -> HttpStreamClient.Http2.OFF;
      case "alpn" -> HttpStreamClient.Http2.ALPN;
      case "prior-knowledge" -> HttpStreamClient.Http2.PRIOR_KNOWLEDGE;
      default -> throw new IllegalArgumentException(
          "STREAMCHAT_UPSTREAM_HTTP2 must be off, alpn or prior-knowledge, not '" + v + "'");
    };
  }

  @Override
  public String toString() {
    return "Upstreams[" + timeouts + ", openai=" + openaiBaseUrl.orElse("-")
        + (openaiApiKey.isPresent() ? " (key set)" : "") + ", ollama=" + ollamaHost.orElse("-")
        + ", anthropic=" + anthropicBaseUrl.orElse("-") + (anthropicApiKey.isPresent() ? " (key set)" : "")
        + ", http2=" + http2 + (extraAuthorities.isEmpty() ? "" : ", extra CAs=" + extraAuthorities.size()) + "]";
  }
}
