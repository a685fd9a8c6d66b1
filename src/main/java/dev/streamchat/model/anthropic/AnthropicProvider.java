package dev.streamchat.model.anthropic;

import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Redactor;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/** Anthropic's Messages API: {@code POST /v1/messages} streamed, models from {@code GET /v1/models}. */
public final class AnthropicProvider implements ModelProvider {

  public static final String NAME = "anthropic";
  public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";

  private final HttpStreamClient http;
  private final String baseUrl;
  private final Map<String, String> headers;
  private final Redactor redactor;

  /** {@code baseUrl} has no {@code /v1}, as the Anthropic SDKs expect; {@code apiKey} may be null (a proxy). */
  public AnthropicProvider(HttpStreamClient http, String baseUrl, String apiKey) {
    this.http = http;
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.headers = apiKey == null || apiKey.isBlank() ? Map.of("anthropic-version", AnthropicWire.VERSION)
        : Map.of("x-api-key", apiKey.strip(), "anthropic-version", AnthropicWire.VERSION);
    this.redactor = new Redactor(apiKey);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<List<ModelInfo>> models() {
    return http.getJson(baseUrl + "/v1/models?limit=100", headers).map(AnthropicWire::models);
  }

  @Override
  public StreamHandle stream(ModelRequest request, StreamListener listener) {
    return http.stream(baseUrl + "/v1/messages", headers,
        AnthropicWire.messagesRequest(request), request.model(),
        l -> new AnthropicStreamParser(l, redactor), listener);
  }
}
