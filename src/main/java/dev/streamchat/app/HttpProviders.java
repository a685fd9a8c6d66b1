package dev.streamchat.app;

import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.model.anthropic.AnthropicProvider;
import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.ollama.OllamaProvider;
import dev.streamchat.model.openai.OpenAiProvider;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/** The remote model servers the environment names, sharing one HTTP client. */
final class HttpProviders {

  /** How often model lists are asked again, so a server started after streamchat shows up. */
  static final long REFRESH_MS = 60_000;

  private HttpProviders() {
  }

  static List<ModelProvider> create(Vertx vertx, Upstreams u) {
    List<ModelProvider> list = new ArrayList<>();
    if (!any(u)) return list;
    HttpStreamClient http = new HttpStreamClient(vertx, u.timeouts(), u.http2(), u.extraAuthorities());
    u.openaiBaseUrl().ifPresent(url -> list.add(new OpenAiProvider(http, url, u.openaiApiKey().orElse(null))));
    u.ollamaHost().ifPresent(host -> list.add(new OllamaProvider(http, host)));
    u.anthropicBaseUrl().ifPresent(url -> list.add(new AnthropicProvider(http, url, u.anthropicApiKey().orElse(null))));
    return list;
  }

  static void refreshPeriodically(Vertx vertx, Upstreams u, ModelRegistry models) {
    if (any(u)) vertx.setPeriodic(REFRESH_MS, id -> models.refresh());
  }

  private static boolean any(Upstreams u) {
    return u.openaiBaseUrl().isPresent() || u.ollamaHost().isPresent() || u.anthropicBaseUrl().isPresent();
  }
}
