package dev.streamchat.bench;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * The benchmark's non-blocking HTTP client on loopback: streamchat's JSON API (one cookie jar per
 * {@link Session}), and SSE streams read by {@link SseReader}.
 */
final class Http {

  /** A reply read whole. */
  record Reply(int status, Buffer body, String setCookie) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  /** One user of streamchat: a cookie jar of one cookie. */
  static final class Session {
    volatile String cookie;
  }

  final HttpClient client;
  /**
   * Event streams hold their connection for their whole length; without keep-alive it closes
   * when the stream ends, so thousands of ended streams do not linger as idle pooled
   * connections, holding descriptors in both processes.
   */
  final HttpClient sseClient;

  Http(Vertx vertx) {
    client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
            .setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout(60_000),
        new PoolOptions().setHttp1MaxSize(40_000));
    sseClient = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
            .setKeepAlive(false).setTcpNoDelay(true).setConnectTimeout(60_000),
        new PoolOptions().setHttp1MaxSize(40_000));
  }

  Future<Reply> call(HttpMethod method, int port, String path, Session session, Object jsonBody) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path);
    if (session != null && session.cookie != null) o.putHeader("Cookie", session.cookie);
    if (jsonBody != null) o.putHeader("Content-Type", "application/json");
    return client.request(o).compose(req -> {
      Future<io.vertx.core.http.HttpClientResponse> sent =
          jsonBody == null ? req.send() : req.send(jsonBody.toString());
      return sent.compose(res -> res.body().map(body -> {
        String set = res.getHeader("Set-Cookie");
        if (set != null && session != null) session.cookie = set.split(";", 2)[0];
        return new Reply(res.statusCode(), body, set);
      }));
    });
  }

  /** Opens an SSE stream and hands it to a reader; completes when the headers arrived. */
  Future<SseReader> stream(HttpMethod method, int port, String path, MultiMap headers, String body,
      Recorder recorder, long scheduleIntervalMicros) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
        .setHeaders(headers);
    SseReader reader = new SseReader(recorder, scheduleIntervalMicros);
    return sseClient.request(o).compose(req -> {
      // Attach the reader in the response's first listener, before a short stream can end.
      Future<io.vertx.core.http.HttpClientResponse> response = req.response().onSuccess(res -> {
        if (res.statusCode() == 200) reader.attach(res);
      });
      if (body == null) req.end();
      else req.end(body);
      return response;
    }).map(res -> {
      if (res.statusCode() != 200) {
        recorder.failures.increment();
        throw new IllegalStateException(path + " answered " + res.statusCode());
      }
      return reader;
    });
  }

  /** streamchat: a new conversation in a session (a new session when it has no cookie yet). */
  Future<String> conversation(int port, Session s) {
    return call(HttpMethod.POST, port, "/api/conversations", s, new JsonObject()).map(r -> {
      if (r.status() != 201) throw new IllegalStateException("conversation: " + r.status() + " " + r.body());
      return r.json().getString("id");
    });
  }

  /** streamchat: asks a model to answer; the generation's id. */
  Future<String> send(int port, Session s, String conversation, String content, String model, int maxTokens) {
    JsonObject body = new JsonObject().put("content", content).put("model", model);
    if (maxTokens > 0) body.put("maxTokens", maxTokens);
    return call(HttpMethod.POST, port, "/api/conversations/" + conversation + "/messages", s, body).map(r -> {
      if (r.status() != 202) throw new IllegalStateException("send: " + r.status() + " " + r.body());
      return r.json().getString("generationId");
    });
  }

  /** What a new answer request got: the generation's id (202), or a refusal and its Retry-After. */
  record Sent(int status, String generationId, String retryAfter) {
  }

  /** streamchat: asks a model to answer, and reports a refusal instead of failing on it. */
  Future<Sent> trySend(int port, Session s, String conversation, String content, String model) {
    JsonObject body = new JsonObject().put("content", content).put("model", model);
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/api/conversations/" + conversation + "/messages").putHeader("Content-Type", "application/json");
    if (s.cookie != null) o.putHeader("Cookie", s.cookie);
    return client.request(o).compose(req -> req.send(body.toString())).compose(res -> res.body().map(b ->
        new Sent(res.statusCode(), res.statusCode() == 202 ? b.toJsonObject().getString("generationId") : null,
            res.getHeader("Retry-After"))));
  }

  /** streamchat: one viewer of a generation's events. */
  Future<SseReader> view(int port, Session s, String gid, Recorder recorder, long scheduleIntervalMicros) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Accept", "text/event-stream");
    if (s.cookie != null) h.add("Cookie", s.cookie);
    return stream(HttpMethod.GET, port, "/api/generations/" + gid + "/events", h, null, recorder,
        scheduleIntervalMicros);
  }

  /** The model server's own stream (directly or through a proxy). */
  Future<SseReader> completion(int port, String prompt, Recorder recorder) {
    JsonObject body = new JsonObject().put("model", FakeModelServer.MODEL).put("stream", true)
        .put("messages", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("role", "user").put("content", prompt)));
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json")
        .add("Accept", "text/event-stream").add("Authorization", "Bearer bench");
    return stream(HttpMethod.POST, port, "/v1/chat/completions", h, body.encode(), recorder, 0);
  }
}
