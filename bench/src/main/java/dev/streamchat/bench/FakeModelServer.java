package dev.streamchat.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model server speaking the OpenAI chat-completions wire format (GET /v1/models, POST
 * /v1/chat/completions with SSE {@code data:} chunks and {@code [DONE]}) at a controlled pace.
 * The last user message sets it: {@code tps=20 tokens=200 ttft=0} (tokens per second, answer
 * length, milliseconds to the first token). Every token's content is {@code " ~<micros>"}, the
 * {@link Clock} time at which it was written, so a client in this JVM can compute the latency
 * each token gained on its way.
 */
final class FakeModelServer extends VerticleBase {

  static final String MODEL = "bench-fake";
  private static final Pattern PARAM = Pattern.compile("(tps|tokens|ttft)=(\\d+(?:\\.\\d+)?)");

  /** Streams one HTTP/2 connection may carry at once (the client opens more connections past it). */
  static final int H2_STREAMS_PER_CONNECTION = 1000;

  /** Open connections to the plain and to the TLS server: how many connections streamchat's answers share. */
  static final java.util.concurrent.atomic.AtomicLong PLAIN_CONNECTIONS = new java.util.concurrent.atomic.AtomicLong();
  static final java.util.concurrent.atomic.AtomicLong TLS_CONNECTIONS = new java.util.concurrent.atomic.AtomicLong();

  private final int port;
  private final PemKeyCertOptions tls;

  /** {@code tls}: null for plain HTTP/1.1 (and h2c), else HTTPS offering h2 and http/1.1 by ALPN as the hosted APIs do. */
  FakeModelServer(int port, PemKeyCertOptions tls) {
    this.port = port;
    this.tls = tls;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port)
        .setAcceptBacklog(8192).setTcpNoDelay(true);
    if (tls != null) {
      options.setSsl(true).setUseAlpn(true).setKeyCertOptions(tls)
          .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(H2_STREAMS_PER_CONNECTION));
    }
    var connections = tls == null ? PLAIN_CONNECTIONS : TLS_CONNECTIONS;
    return vertx.createHttpServer(options)
        .connectionHandler(c -> {
          connections.incrementAndGet();
          c.closeHandler(v -> connections.decrementAndGet());
        })
        .requestHandler(this::handle).listen();
  }

  private void handle(HttpServerRequest req) {
    if (req.path().endsWith("/models")) {
      JsonObject model = new JsonObject().put("id", MODEL).put("object", "model").put("owned_by", "bench");
      req.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("object", "list").put("data", new JsonArray().add(model)).encode());
      return;
    }
    if (!req.path().endsWith("/chat/completions")) {
      req.response().setStatusCode(404).end("{\"error\":{\"message\":\"not found\"}}");
      return;
    }
    req.body().onSuccess(body -> stream(req.response(), body.toJsonObject()));
  }

  private void stream(HttpServerResponse res, JsonObject request) {
    double tps = 20;
    int tokens = 100;
    long ttft = 0;
    Matcher m = PARAM.matcher(lastUserText(request));
    while (m.find()) {
      switch (m.group(1)) {
        case "tps" -> tps = Double.parseDouble(m.group(2));
        case "tokens" -> tokens = (int) Double.parseDouble(m.group(2));
        default -> ttft = (long) Double.parseDouble(m.group(2));
      }
    }
    Integer maxTokens = request.getInteger("max_tokens", request.getInteger("max_completion_tokens"));
    if (maxTokens != null && maxTokens > 0) tokens = Math.min(tokens, maxTokens);
    res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
    res.write("data: " + chunk("{\"role\":\"assistant\",\"content\":\"\"}", "null") + "\n\n");
    long interval = Math.max(1, Math.round(1000 / tps));
    int perTick = (int) Math.max(1, Math.round(tps * interval / 1000));
    int total = tokens;
    int[] sent = {0};
    long timer = vertx.setPeriodic(Math.max(1, ttft), interval, id -> {
      if (res.closed()) {
        vertx.cancelTimer(id);
        return;
      }
      for (int i = 0; i < perTick && sent[0] < total; i++, sent[0]++) {
        res.write("data: " + chunk("{\"content\":\" ~" + Clock.micros() + "\"}", "null") + "\n\n");
      }
      if (sent[0] >= total) {
        vertx.cancelTimer(id);
        res.write("data: " + chunk("{}", "\"stop\"") + "\n\n");
        res.write("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"model\":\"" + MODEL
            + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":" + total
            + ",\"total_tokens\":" + (total + 1) + "}}\n\n");
        res.end("data: [DONE]\n\n");
      }
    });
    res.closeHandler(v -> vertx.cancelTimer(timer));
  }

  private static String chunk(String delta, String finish) {
    return "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}";
  }

  private static String lastUserText(JsonObject request) {
    JsonArray messages = request.getJsonArray("messages", new JsonArray());
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonObject msg = messages.getJsonObject(i);
      if ("user".equals(msg.getString("role")) && msg.getValue("content") instanceof String s) return s;
    }
    return "";
  }
}
