package dev.streamchat.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.CookieManager;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Throws random and malformed input at every route of a running server: malformed JSON, wrong
 * types, huge and invalid UTF-8 strings, any bytes as ids, nonsense cursors, junk content types,
 * raw garbage on the socket. Never a 5xx, never a hang; meanwhile an honest client's streams
 * finish intact. Inputs tried per route and the statuses seen go to target/fuzz-report.txt.
 */
class ApiFuzzTest {

  private static final int TRIES = 300;
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private static TestServer server;
  private static HttpClient http;
  private static String ownConversation;
  private static String ownGeneration;
  private static String othersConversation;
  private static String othersGeneration;
  private static String csrfToken;
  private static final Map<String, Map<Integer, AtomicInteger>> seen = new ConcurrentHashMap<>();
  private static final AtomicBoolean honestRunning = new AtomicBoolean(true);
  private static final AtomicInteger honestStreams = new AtomicInteger();
  private static final List<String> honestFailures = new CopyOnWriteArrayList<>();
  private static Thread honest;

  @BeforeContainer
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "2000", "STREAMCHAT_MESSAGES_PER_MINUTE", "1000000"));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager())
        .connectTimeout(Duration.ofSeconds(5)).build();
    JsonObject created = new JsonObject(send("setup", "POST", "/api/conversations", "{}".getBytes(), "application/json", null).body());
    ownConversation = created.getString("id");
    ownGeneration = new JsonObject(send("setup", "POST", "/api/conversations/" + ownConversation + "/messages",
        "{\"content\":\"hi\",\"maxTokens\":20}".getBytes(), "application/json", null).body()).getString("generationId");
    String page = send("setup", "GET", "/", null, null, null).body();
    java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"").matcher(page);
    assertTrue(token.find(), "the page has a CSRF token");
    csrfToken = token.group(1);
    ApiClient other = server.client();
    othersConversation = other.newConversation();
    othersGeneration = other.ask(othersConversation, "mine", 5);
    other.readAll(othersGeneration, null, null);

    // The honest client: one answer after another, each read whole and compared with the store.
    ApiClient alice = server.client();
    honest = new Thread(() -> {
      try {
        while (honestRunning.get()) {
          String gid = alice.ask(alice.newConversation(), "Tell me a story", 300);
          StringBuilder text = new StringBuilder();
          List<SseEvent> events = alice.readAll(gid, null, null);
          for (SseEvent e : events) if (!e.isEnd()) text.append(e.json().getString("text"));
          JsonObject g = alice.generation(gid);
          if (!events.get(events.size() - 1).isEnd() || !"done".equals(g.getString("state"))
              || !g.getString("text").equals(text.toString())) {
            honestFailures.add(gid + ": state " + g.getString("state") + ", streamed " + text.length()
                + " chars, stored " + g.getString("text").length());
          } else {
            honestStreams.incrementAndGet();
          }
        }
      } catch (RuntimeException | AssertionError e) {
        honestFailures.add(e.toString());
      }
    }, "honest-client");
    honest.start();
  }

  @AfterContainer
  static void stop() throws Exception {
    honestRunning.set(false);
    honest.join(60_000);
    StringBuilder report = new StringBuilder("route: inputs tried {status=count}\n");
    int total = 0;
    for (var e : new TreeMap<>(seen).entrySet()) {
      int n = e.getValue().values().stream().mapToInt(AtomicInteger::get).sum();
      total += n;
      report.append(e.getKey()).append(": ").append(n).append(' ').append(new TreeMap<>(e.getValue())).append('\n');
    }
    report.append("total: ").append(total).append("; honest streams intact: ").append(honestStreams.get())
        .append(", broken: ").append(honestFailures.size()).append('\n');
    System.out.print(report);
    Files.writeString(Path.of("target", "fuzz-report.txt"), report);
    server.close();
    assertEquals(List.of(), honestFailures, "the honest client's streams were disturbed");
    assertTrue(honestStreams.get() >= 3, "honest streams finished meanwhile: " + honestStreams.get());
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Sends, waits for the whole body (bounded), checks it is no 5xx, counts it under the route. */
  private static HttpResponse<String> send(String route, String method, String path, byte[] body,
      String contentType, Map<String, String> headers) {
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(server.url(path))).timeout(TIMEOUT);
    } catch (IllegalArgumentException notAUri) {
      throw new AssertionError("the fuzzer built a bad URI: " + path, notAUri);
    }
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) b.header("Content-Type", contentType);
    if (headers != null) headers.forEach(b::header);
    HttpResponse<String> r;
    try {
      r = http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(route + ": no whole answer within " + TIMEOUT + " for " + method + " " + abbreviate(path));
    } catch (Exception e) {
      throw new AssertionError(route + ": " + method + " " + abbreviate(path) + " failed: " + e, e);
    }
    seen.computeIfAbsent(route, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
    assertTrue(r.statusCode() < 500, route + ": " + r.statusCode() + " for " + method + " " + abbreviate(path)
        + " body " + abbreviate(body == null ? "" : new String(body, StandardCharsets.UTF_8)) + " -> " + abbreviate(r.body()));
    if (r.statusCode() >= 400 && path.startsWith("/api/")) {
      assertTrue(r.statusCode() == 414 || r.statusCode() == 431 || new JsonObject(r.body()).getString("error") != null,
          route + ": an API error is JSON {\"error\"}: " + abbreviate(r.body()));
    }
    return r;
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "…(" + s.length() + " chars)";
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** An id as a path segment: any bytes percent-encoded (so invalid UTF-8 too), or a crafted one. */
  @Provide
  Arbitrary<String> ids() {
    Arbitrary<String> anyBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(120).map(ApiFuzzTest::percentEncode);
    Arbitrary<String> anyText = Arbitraries.strings().all().ofMaxLength(80)
        .map(s -> percentEncode(s.getBytes(StandardCharsets.UTF_8)));
    Arbitrary<String> crafted = Arbitraries.of("", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%00", "null", "-1",
        "00000000-0000-0000-0000-000000000000", othersConversation, othersGeneration, ownGeneration + "%00",
        ownConversation.toUpperCase(), "%F0%9F%98%80", "%ED%A0%80", "%C0%AF", "a".repeat(3000), "%FF".repeat(500));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, anyBytes), net.jqwik.api.Tuple.of(3, anyText), net.jqwik.api.Tuple.of(3, crafted));
  }

  /** A JSON-ish value of any type, including huge strings and lone surrogates. */
  private static Arbitrary<Object> values() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(200).map(s -> (Object) s),
        Arbitraries.strings().withCharRange('\uD800', '\uDFFF').ofMaxLength(20).map(s -> (Object) s),
        Arbitraries.integers().map(i -> (Object) i),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.doubles().map(d -> (Object) d),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.just((Object) null),
        Arbitraries.just((Object) new JsonArray().add(1).add("x")),
        Arbitraries.just((Object) new JsonObject().put("nested", new JsonObject())),
        Arbitraries.of(20_000, 70_000).map(n -> (Object) "\u00e9".repeat(n)));
  }

  /** A request body: a JSON object with fields of random types, or anything malformed. */
  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> typedFields = net.jqwik.api.Combinators.combine(
            values(), values(), values(), Arbitraries.of("content", "title", "model", "maxTokens"))
        .as((a, b, c, extra) -> {
          JsonObject o = new JsonObject();
          o.put("content", a).put("maxTokens", b).put(extra, c);
          if (a instanceof String s && s.length() % 3 == 0) o.put("model", "demo");
          return encode(o);
        });
    Arbitrary<byte[]> validish = Arbitraries.strings().alpha().ofMaxLength(40)
        .map(s -> new JsonObject().put("content", s).put("title", s).put("maxTokens", 3).encode().getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> text = Arbitraries.strings().all().ofMaxLength(300).map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> rawBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
    Arbitrary<byte[]> invalidUtf8InJson = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(60).map(bytes -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes("{\"content\":\"".getBytes(StandardCharsets.US_ASCII));
      for (byte x : bytes) out.write(x == '"' || x == '\\' ? 'x' : (x | 0x80));
      out.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
      return out.toByteArray();
    });
    Arbitrary<byte[]> truncated = validish.map(b -> java.util.Arrays.copyOf(b, Math.max(1, b.length / 2)));
    Arbitrary<byte[]> crafted = Arbitraries.of(
        "[".repeat(5000), "{\"a\":".repeat(3000), "{\"content\":" + "9".repeat(5000) + "}",
        "{\"maxTokens\":1e400,\"content\":\"x\"}", "{\"maxTokens\":-0.0,\"content\":\"x\"}",
        "{\"content\":\"\\ud800\"}", "{\"content\":\"\\u0000\"}", "{\"content\":\"x\",\"content\":1}",
        "null", "[]", "\"x\"", "1", "{}", "{\"content\":\"   \"}", "\uFEFF{\"content\":\"bom\"}",
        "{\"content\":\"x\"} trailing", "{'content':'single quotes'}", "{\"content\":\"" + "x".repeat(40_000) + "\"}")
        .map(s -> s.getBytes(StandardCharsets.UTF_8));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, typedFields), net.jqwik.api.Tuple.of(1, validish), net.jqwik.api.Tuple.of(1, text),
        net.jqwik.api.Tuple.of(2, rawBytes), net.jqwik.api.Tuple.of(2, invalidUtf8InJson), net.jqwik.api.Tuple.of(1, truncated),
        net.jqwik.api.Tuple.of(2, crafted));
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of("application/json", "application/json", "application/json; charset=latin1", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
        "application/json; charset=\u00ff", "*/*", ";;;", null);
  }

  /** A cursor as sent: numbers of any size and sign, and nonsense. */
  @Provide
  Arbitrary<String> cursors() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.integers().between(-3, 40).map(String::valueOf),
        Arbitraries.strings().all().ofMaxLength(30),
        Arbitraries.of("99999999999999999999", "9223372036854775807", "-9223372036854775808", "1e3", "0x10",
            " 5", "5 ", "+5", "\u0661\u0662", "NaN", "", "%", "%zz", "%00"));
  }

  private static byte[] encode(JsonObject o) {
    return o.encode().getBytes(StandardCharsets.UTF_8);
  }

  private static String percentEncode(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') sb.append((char) c);
      else sb.append('%').append(String.format("%02X", c));
    }
    return sb.toString();
  }

  private static String query(String cursor) {
    return percentEncode(cursor.getBytes(StandardCharsets.UTF_8));
  }

  // ---- the routes ---------------------------------------------------------------------------

  @Property(tries = TRIES)
  void getModels(@ForAll("cursors") String junkQuery) {
    send("GET /api/models", "GET", "/api/models?x=" + query(junkQuery), null, null, null);
  }

  @Property(tries = TRIES)
  void createConversation(@ForAll("bodies") byte[] body, @ForAll("contentTypes") String type) {
    send("POST /api/conversations", "POST", "/api/conversations", body, type, null);
  }

  @Property(tries = 50)
  void listConversations(@ForAll("cursors") String junkQuery) {
    HttpResponse<String> r = send("GET /api/conversations", "GET", "/api/conversations?limit=" + query(junkQuery), null, null, null);
    assertEquals(200, r.statusCode());
  }

  @Property(tries = TRIES)
  void getConversation(@ForAll("ids") String id) {
    HttpResponse<String> r = send("GET /api/conversations/{id}", "GET", "/api/conversations/" + id, null, null, null);
    // "/api/conversations/" and dot segments ("%2E" normalises to ".") are the caller's own list.
    boolean ownList = r.body().startsWith("[");
    assertTrue(r.statusCode() != 200 || ownList || id.equals(ownConversation), "only the own conversation is found: " + id);
  }

  @Property(tries = TRIES)
  void deleteConversation(@ForAll("ids") String id, @ForAll("bodies") byte[] body) {
    if (id.equals(ownConversation)) return;
    HttpResponse<String> r = send("DELETE /api/conversations/{id}", "DELETE", "/api/conversations/" + id, body, "application/json", null);
    assertTrue(r.statusCode() != 204, "nothing of anyone else's is deleted: " + id);
  }

  @Property(tries = TRIES)
  void postMessageToOwnConversation(@ForAll("bodies") byte[] body, @ForAll("contentTypes") String type) {
    send("POST /api/conversations/{own}/messages", "POST", "/api/conversations/" + ownConversation + "/messages", body, type, null);
  }

  @Property(tries = TRIES)
  void postMessageToJunkIds(@ForAll("ids") String id, @ForAll("bodies") byte[] body) {
    HttpResponse<String> r = send("POST /api/conversations/{id}/messages", "POST", "/api/conversations/" + id + "/messages",
        body, "application/json", null);
    assertTrue(r.statusCode() != 202 || id.equals(ownConversation), "no message lands elsewhere: " + id);
  }

  @Property(tries = TRIES)
  void retry(@ForAll("ids") String id, @ForAll("bodies") byte[] body) {
    HttpResponse<String> r = send("POST /api/conversations/{id}/retry", "POST", "/api/conversations/" + id + "/retry",
        body, "application/json", null);
    assertTrue(r.statusCode() != 202 || id.equals(ownConversation), "no answer starts elsewhere: " + id);
  }

  @Property(tries = TRIES)
  void getGeneration(@ForAll("ids") String id) {
    HttpResponse<String> r = send("GET /api/generations/{gid}", "GET", "/api/generations/" + id, null, null, null);
    assertTrue(r.statusCode() != 200 || id.equals(ownGeneration), "only the own generation is found: " + id);
  }

  @Property(tries = TRIES)
  void eventsOfJunkIds(@ForAll("ids") String id, @ForAll("cursors") String cursor) {
    send("GET /api/generations/{gid}/events", "GET", "/api/generations/" + id + "/events?after=" + query(cursor), null, null, null);
  }

  @Property(tries = TRIES)
  void eventsWithBadCursors(@ForAll("cursors") String after, @ForAll("cursors") String lastEventId) {
    Map<String, String> headers = new java.util.HashMap<>();
    String header = lastEventId.replaceAll("[\\x00-\\x1f\\x7f]", "");
    boolean headerSafe = header.chars().allMatch(c -> c < 0x7f) && header.strip().equals(header);
    if (headerSafe && !header.isEmpty()) headers.put("Last-Event-ID", header);
    HttpResponse<String> r = send("GET /api/generations/{own}/events?after&Last-Event-ID", "GET",
        "/api/generations/" + ownGeneration + "/events?after=" + query(after), null, null, headers);
    if (r.statusCode() == 200) assertTrue(r.body().contains("event: end"), "a finished stream ends: " + abbreviate(r.body()));
  }

  @Property(tries = TRIES)
  void stopGeneration(@ForAll("ids") String id, @ForAll("bodies") byte[] body) {
    send("POST /api/generations/{gid}/stop", "POST", "/api/generations/" + id + "/stop", body, "application/json", null);
  }

  @Property(tries = TRIES)
  void pagePosts(@ForAll("ids") String id, @ForAll("bodies") byte[] body, @ForAll("contentTypes") String type) {
    String[] paths = {"/chat", "/c/" + id + "/messages", "/g/" + id + "/stop", "/c/" + id + "/retry"};
    String path = paths[Math.floorMod(id.hashCode(), paths.length)];
    send("POST pages (no token)", "POST", path, body, type, null);
  }

  @Property(tries = TRIES)
  void pagePostsWithToken(@ForAll("ids") String id, @ForAll("bodies") byte[] body, @ForAll("contentTypes") String type) {
    String[] paths = {"/chat", "/c/" + id + "/messages", "/g/" + id + "/stop", "/c/" + ownConversation + "/messages",
        "/c/" + id + "/retry", "/c/" + ownConversation + "/retry"};
    String path = paths[Math.floorMod(id.hashCode(), paths.length)];
    Map<String, String> headers = Math.floorMod(body.length, 2) == 0 ? Map.of("X-CSRF-Token", csrfToken, "HX-Request", "true")
        : Map.of("X-CSRF-Token", csrfToken);
    send("POST pages (with token)", "POST", path, body, type, headers);
  }

  @Property(tries = TRIES)
  void pageGets(@ForAll("ids") String id, @ForAll("cursors") String cursor) {
    send("GET /c/{id}", "GET", "/c/" + id, null, null, null);
    send("GET /g/{gid}/stream", "GET", "/g/" + id + "/stream?after=" + query(cursor), null, null, null);
  }

  /** Garbage on the socket: any method, target and header bytes. An answer, if any, is no 5xx. */
  @Property(tries = TRIES)
  void rawRequests(@ForAll("rawMethods") String method, @ForAll("ids") String target,
      @ForAll("headerBytes") byte[] headerLine) throws Exception {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.writeBytes((method + " /api/generations/" + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n").getBytes(StandardCharsets.ISO_8859_1));
    req.writeBytes(headerLine);
    req.writeBytes("\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    String status;
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = s.getOutputStream();
      out.write(req.toByteArray());
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      status = new String(head, StandardCharsets.ISO_8859_1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("raw request hung: " + new String(req.toByteArray(), StandardCharsets.ISO_8859_1));
    }
    int code = status.length() == 12 && status.startsWith("HTTP/1.") ? Integer.parseInt(status.substring(9, 12)) : 0;
    seen.computeIfAbsent("raw socket (0 = closed without answer)", k -> new ConcurrentHashMap<>())
        .computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
    assertTrue(code < 500, "raw request answered " + status);
  }

  @Provide
  Arbitrary<String> rawMethods() {
    return Arbitraries.oneOf(Arbitraries.of("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT"),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(12));
  }

  @Provide
  Arbitrary<byte[]> headerBytes() {
    Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMaxSize(200)
        .map(b -> { for (int i = 0; i < b.length; i++) if (b[i] == '\r' || b[i] == '\n') b[i] = 'x'; return b; });
    Arbitrary<byte[]> named = Arbitraries.of("Last-Event-ID", "Content-Length", "Transfer-Encoding", "Origin", "Cookie",
            "X-Forwarded-Host", "X-Forwarded-Proto", "Content-Type", "Expect")
        .flatMap(name -> Arbitraries.strings().all().ofMaxLength(60)
            .map(v -> (name + ": " + v.replaceAll("[\r\n]", "")).getBytes(StandardCharsets.UTF_8)));
    return Arbitraries.oneOf(any, named);
  }
}
