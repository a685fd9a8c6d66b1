package dev.streamchat.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A program using the JSON/SSE API over real HTTP, with its own cookie jar (its own session). */
public final class ApiClient {

  /** A response: status and body text. */
  public record Reply(int status, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray array() {
      return new JsonArray(body);
    }
  }

  private final String base;
  private final CookieManager cookies;
  private final HttpClient http;

  ApiClient(String base) {
    this.base = base;
    this.cookies = new CookieManager();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** A new session talking to the server at {@code base}, e.g. one in a child process. */
  public static ApiClient of(String base) {
    return new ApiClient(base);
  }

  /** The same session (cookie jar) talking to another server, e.g. one restarted on the same data. */
  public ApiClient at(String newBase) {
    return new ApiClient(newBase, http, cookies);
  }

  private ApiClient(String base, HttpClient http, CookieManager cookies) {
    this.base = base;
    this.http = http;
    this.cookies = cookies;
  }

  public Reply get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public Reply post(String path, String body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Reply post(String path, JsonObject body) {
    return post(path, body.encode());
  }

  public Reply patch(String path, JsonObject body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  public Reply put(String path, JsonObject body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  /** Waits until a generation has ended and returns it. */
  public JsonObject awaitFinal(String gid) {
    for (int i = 0; i < 1500; i++) {
      JsonObject g = generation(gid);
      if (!g.getString("state").equals("running")) return g;
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("generation " + gid + " did not end");
  }

  public Reply delete(String path) {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  public Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends a request and returns the whole response (headers too). */
  public HttpResponse<String> sendRaw(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The CSRF token the chat page carries for this session (in {@code <meta name="csrf-token">}). */
  public String csrfToken() {
    Reply page = get("/");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\"")
        .matcher(page.body());
    if (page.status() != 200 || !m.find()) throw new AssertionError("no CSRF token in the page: " + page.status());
    return m.group(1);
  }

  /** A page's form POST carrying the session's CSRF token, as the page's own script sends it. */
  public Reply pagePost(String path, String formBody) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-CSRF-Token", csrfToken()).POST(HttpRequest.BodyPublishers.ofString(formBody)));
  }

  /** Makes a conversation and returns its id. */
  public String newConversation() {
    Reply r = post("/api/conversations", new JsonObject());
    if (r.status() != 201) throw new AssertionError("create conversation: " + r);
    return r.json().getString("id");
  }

  /** Sends a message and returns the generation's id. */
  public String ask(String conversationId, String content, Integer maxTokens) {
    return ask(conversationId, content, null, maxTokens);
  }

  /** Sends a message to a named model ({@code model} null: the conversation's) and returns the generation's id. */
  public String ask(String conversationId, String content, String model, Integer maxTokens) {
    JsonObject body = new JsonObject().put("content", content);
    if (model != null) body.put("model", model);
    if (maxTokens != null) body.put("maxTokens", maxTokens);
    Reply r = post("/api/conversations/" + conversationId + "/messages", body);
    if (r.status() != 202) throw new AssertionError("send message: " + r);
    return r.json().getString("generationId");
  }

  public JsonObject generation(String gid) {
    Reply r = get("/api/generations/" + gid);
    if (r.status() != 200) throw new AssertionError("get generation: " + r);
    return r.json();
  }

  /** Opens the event stream; {@code lastEventId} and {@code after} may be null. */
  public SseConnection events(String gid, Long lastEventId, Long after) {
    return open("/api/generations/" + gid + "/events" + (after == null ? "" : "?after=" + after), lastEventId);
  }

  public SseConnection open(String path, Long lastEventId) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Accept", "text/event-stream");
    if (lastEventId != null) b.header("Last-Event-ID", String.valueOf(lastEventId));
    try {
      HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      return new SseConnection(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Opens the event stream after chunk {@code after} on a connection of its own (a new TCP
   * connection every time, as a browser's reconnect through a balancer may be), in this session.
   */
  public SseConnection eventsOnNewConnection(String gid, long after) {
    HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(uri("/api/generations/" + gid + "/events?after=" + after))
        .header("Accept", "text/event-stream");
    if (!cookieHeader().isEmpty()) b.header("Cookie", cookieHeader());
    try {
      HttpResponse<InputStream> r = fresh.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      return new SseConnection(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Reads a whole stream to its end. */
  public List<SseEvent> readAll(String gid, Long lastEventId, Long after) {
    try (SseConnection c = events(gid, lastEventId, after)) {
      if (c.status() != 200) throw new AssertionError("events status " + c.status());
      List<SseEvent> out = new ArrayList<>();
      for (SseEvent e; (e = c.next()) != null; ) out.add(e);
      return out;
    }
  }

  /** The Cookie header this client sends, for raw-socket clients of the same session. */
  public String cookieHeader() {
    return String.join("; ", cookies.getCookieStore().getCookies().stream()
        .map(c -> c.getName() + "=" + c.getValue()).toList());
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }
}
