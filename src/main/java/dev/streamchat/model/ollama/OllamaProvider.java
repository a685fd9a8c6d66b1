package dev.streamchat.model.ollama;

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

/** A native Ollama server: {@code POST /api/chat} as NDJSON, models from {@code GET /api/tags}. */
public final class OllamaProvider implements ModelProvider {

  public static final String NAME = "ollama";

  private final HttpStreamClient http;
  private final String host;
  private final Redactor redactor = new Redactor();

  /** {@code host} like {@code http://127.0.0.1:11434}; a bare host:port gets {@code http://}. */
  public OllamaProvider(HttpStreamClient http, String host) {
    this.http = http;
    String h = host.strip().replaceAll("/+$", "");
    this.host = h.contains("://") ? h : "http://" + h;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<List<ModelInfo>> models() {
    return http.getJson(host + "/api/tags", Map.of()).map(OllamaWire::models);
  }

  @Override
  public StreamHandle stream(ModelRequest request, StreamListener listener) {
    return http.stream(host + "/api/chat", Map.of(),
        OllamaWire.chatRequest(request), request.model(),
        l -> new OllamaStreamParser(l, redactor), listener);
  }
}
