package dev.streamchat.model.openai;

import dev.streamchat.model.ModelInfo;
import dev.streamchat.model.ModelProvider;
import dev.streamchat.model.ModelRequest;
import dev.streamchat.model.StreamHandle;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.http.HttpStreamClient;
import dev.streamchat.model.http.Redactor;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, LM Studio, Ollama's /v1):
 * {@code POST {base}/chat/completions} streamed, models from {@code GET {base}/models}.
 */
public final class OpenAiProvider implements ModelProvider {

  public static final String NAME = "openai";

  private final HttpStreamClient http;
  private final String baseUrl;
  private final Map<String, String> headers = new HashMap<>();
  private final Redactor redactor;

  /** {@code baseUrl} includes {@code /v1}; {@code apiKey} may be null (local servers). */
  public OpenAiProvider(HttpStreamClient http, String baseUrl, String apiKey) {
    this.http = http;
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    if (apiKey != null && !apiKey.isBlank()) headers.put("Authorization", "Bearer " + apiKey.strip());
    this.redactor = new Redactor(apiKey);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<List<ModelInfo>> models() {
    return http.getJson(baseUrl + "/models", headers).map(OpenAiWire::models);
  }

  @Override
  public StreamHandle stream(ModelRequest request, StreamListener listener) {
    return http.stream(baseUrl + "/chat/completions", headers,
        OpenAiWire.chatRequest(request), request.model(),
        l -> new OpenAiStreamParser(l, redactor), listener);
  }
}
