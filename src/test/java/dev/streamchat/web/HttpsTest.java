package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamchat.app.Config;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS with a self-signed certificate the test makes with openssl: HTTP/2 is negotiated by ALPN,
 * streams flow as they are written and resume exactly, several streams share one connection,
 * HTTP/1.1 clients are still served, and files that cannot be used stop the start.
 */
class HttpsTest {

  private static Path dir;
  private static Path cert;
  private static Path key;

  @BeforeAll
  static void certificate() throws Exception {
    assumeTrue(new File("/usr/bin/openssl").canExecute(), "openssl is not installed: the HTTPS tests need it to make a certificate");
    dir = Files.createTempDirectory("streamchat-tls");
    cert = dir.resolve("cert.pem");
    key = dir.resolve("key.pem");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
        "-days", "2", "-subj", "/CN=localhost");
  }

  @AfterAll
  static void clean() throws Exception {
    if (dir != null) TestServer.deleteTree(dir);
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl failed: " + out);
  }

  private static Map<String, String> env(Map<String, String> more) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("STREAMCHAT_TLS_CERT", cert.toString(),
        "STREAMCHAT_TLS_KEY", key.toString()));
    env.putAll(more);
    return env;
  }

  private static HttpClient client(Vertx vertx, HttpVersion version) {
    return vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
            .setUseAlpn(true).setProtocolVersion(version),
        new PoolOptions().setHttp2MaxSize(1).setHttp1MaxSize(8));
  }

  /** One response read to its end, with the time each SSE event arrived. */
  record Received(HttpClientResponse response, List<JsonObject> chunks, List<Long> arrivals, JsonObject end,
      int connectionPort) {
    String text() {
      StringBuilder sb = new StringBuilder();
      chunks.forEach(c -> sb.append(c.getString("text")));
      return sb.toString();
    }
  }

  private static Future<Received> events(HttpClient client, int port, String cookie, String path) {
    return client.request(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(path)
            .putHeader("Cookie", cookie).putHeader("Accept", "text/event-stream"))
        .compose(req -> req.send().map(resp -> Map.entry(req.connection().localAddress().port(), resp)))
        .compose(entry -> {
          HttpClientResponse resp = entry.getValue();
          List<JsonObject> chunks = new ArrayList<>();
          List<Long> arrivals = new ArrayList<>();
          JsonObject[] end = {null};
          StringBuilder pending = new StringBuilder();
          resp.handler(buf -> {
            pending.append(buf.toString());
            int cut;
            while ((cut = pending.indexOf("\n\n")) >= 0) {
              String event = pending.substring(0, cut);
              pending.delete(0, cut + 2);
              String name = null;
              String data = null;
              for (String line : event.split("\n")) {
                if (line.startsWith("event: ")) name = line.substring(7);
                if (line.startsWith("data: ")) data = line.substring(6);
              }
              if ("chunk".equals(name)) {
                chunks.add(new JsonObject(data));
                arrivals.add(System.currentTimeMillis());
              } else if ("end".equals(name)) {
                end[0] = new JsonObject(data);
              }
            }
          });
          return resp.end().map(v -> new Received(resp, chunks, arrivals, end[0], entry.getKey()));
        });
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** A whole response: status, cookies set, body. */
  record Reply(int status, List<String> cookies, Buffer body) {
  }

  private static Reply call(HttpClient client, int port, HttpMethod method, String path, String cookie, String body)
      throws Exception {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path);
    if (cookie != null) options.putHeader("Cookie", cookie);
    if (body != null) options.putHeader("Content-Type", "application/json");
    return await(client.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.cookies(), b))));
  }

  /** The session cookie and a new conversation's id, over the given client. */
  private static String[] session(HttpClient client, int port) throws Exception {
    Reply created = call(client, port, HttpMethod.POST, "/api/conversations", null, "{}");
    assertEquals(201, created.status(), created.body().toString());
    String cookie = created.cookies().get(0).split(";")[0];
    return new String[] {cookie, created.body().toJsonObject().getString("id")};
  }

  private static String conversation(HttpClient client, int port, String cookie) throws Exception {
    return call(client, port, HttpMethod.POST, "/api/conversations", cookie, "{}").body().toJsonObject().getString("id");
  }

  private static String ask(HttpClient client, int port, String cookie, String cid, int tokens) throws Exception {
    Reply r = call(client, port, HttpMethod.POST, "/api/conversations/" + cid + "/messages", cookie,
        new JsonObject().put("content", "hi").put("maxTokens", tokens).encode());
    assertEquals(202, r.status(), r.body().toString());
    return r.body().toJsonObject().getString("generationId");
  }

  private static JsonObject generation(HttpClient client, int port, String cookie, String gid) throws Exception {
    return call(client, port, HttpMethod.GET, "/api/generations/" + gid, cookie, null).body().toJsonObject();
  }

  @Test
  void http2IsNegotiatedAndStreamsFlowAsWrittenAndResumeExactly() throws Exception {
    try (TestServer server = TestServer.start(env(Map.of("STREAMCHAT_DEMO_TPS", "25")))) {
      HttpClient client = client(server.vertx(), HttpVersion.HTTP_2);
      int port = server.port();
      String[] s = session(client, port);
      String gid = ask(client, port, s[0], s[1], 40);

      Received whole = await(events(client, port, s[0], "/api/generations/" + gid + "/events"));
      assertEquals(HttpVersion.HTTP_2, whole.response().version(), "HTTP/2 by ALPN");
      assertEquals("text/event-stream; charset=utf-8", whole.response().getHeader("Content-Type"));
      MultiMap headers = whole.response().headers();
      for (String banned : List.of("connection", "transfer-encoding", "keep-alive", "upgrade", "proxy-connection")) {
        assertNull(headers.get(banned), "no connection-specific header on HTTP/2: " + banned);
      }
      assertEquals("done", whole.end().getString("state"));
      // Streamed, not buffered: at 25 tokens/s, 40 tokens take ~1.6 s; the first event came long before the last.
      long spread = whole.arrivals().get(whole.arrivals().size() - 1) - whole.arrivals().get(0);
      assertTrue(whole.chunks().size() >= 10 && spread > 800,
          "events arrived as written: " + whole.chunks().size() + " events over " + spread + " ms");

      String text = generation(client, port, s[0], gid).getString("text");
      assertEquals(text, whole.text());
      // Resume after a chunk in the middle: exactly the rest, once.
      long cut = whole.chunks().get(whole.chunks().size() / 2).getLong("seq");
      Received rest = await(events(client, port, s[0], "/api/generations/" + gid + "/events?after=" + cut));
      StringBuilder upToCut = new StringBuilder();
      for (JsonObject c : whole.chunks()) if (c.getLong("seq") <= cut) upToCut.append(c.getString("text"));
      assertEquals(text, upToCut + rest.text(), "resume after " + cut + ": no gap, no duplicate");
      assertTrue(rest.chunks().get(0).getLong("seq") > cut);
    }
  }

  @Test
  void severalStreamsShareOneConnection() throws Exception {
    try (TestServer server = TestServer.start(env(Map.of("STREAMCHAT_DEMO_TPS", "40",
        "STREAMCHAT_MAX_GENERATIONS_PER_SESSION", "4")))) {
      HttpClient client = client(server.vertx(), HttpVersion.HTTP_2);
      int port = server.port();
      String[] s = session(client, port);
      List<String> gids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String cid = i == 0 ? s[1] : conversation(client, port, s[0]);
        gids.add(ask(client, port, s[0], cid, 30));
      }
      List<Future<Received>> open = new ArrayList<>();
      for (String gid : gids) open.add(events(client, port, s[0], "/api/generations/" + gid + "/events"));
      Set<Integer> connections = new HashSet<>();
      for (int i = 0; i < gids.size(); i++) {
        Received r = await(open.get(i));
        assertEquals(HttpVersion.HTTP_2, r.response().version());
        assertEquals(generation(client, port, s[0], gids.get(i)).getString("text"), r.text());
        connections.add(r.connectionPort());
      }
      assertEquals(1, connections.size(), "three streams, one TCP connection: " + connections);
    }
  }

  @Test
  void http11ClientsAreStillServed() throws Exception {
    try (TestServer server = TestServer.start(env(Map.of("STREAMCHAT_DEMO_TPS", "200")))) {
      HttpClient client = client(server.vertx(), HttpVersion.HTTP_1_1);
      String[] s = session(client, server.port());
      String gid = ask(client, server.port(), s[0], s[1], 10);
      Received r = await(events(client, server.port(), s[0], "/api/generations/" + gid + "/events"));
      assertEquals(HttpVersion.HTTP_1_1, r.response().version());
      assertEquals("done", r.end().getString("state"));
    }
  }

  @Test
  void filesThatCannotBeUsedStopTheStartWithAClearMessage() throws Exception {
    Path notPem = dir.resolve("not.pem");
    Files.writeString(notPem, "hello");
    Path otherKey = dir.resolve("other-key.pem");
    Path otherCert = dir.resolve("other-cert.pem");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", otherKey.toString(), "-out", otherCert.toString(),
        "-days", "2", "-subj", "/CN=other");

    assertMessage("STREAMCHAT_TLS_CERT=" + dir.resolve("absent.pem") + " cannot be read: no such file",
        Map.of("STREAMCHAT_TLS_CERT", dir.resolve("absent.pem").toString(), "STREAMCHAT_TLS_KEY", key.toString()));
    assertMessage("STREAMCHAT_TLS_KEY=" + notPem + " is not a PEM file with a PRIVATE KEY",
        Map.of("STREAMCHAT_TLS_CERT", cert.toString(), "STREAMCHAT_TLS_KEY", notPem.toString()));
    assertMessage("STREAMCHAT_TLS_CERT=" + key + " is not a PEM file with a CERTIFICATE",
        Map.of("STREAMCHAT_TLS_CERT", key.toString(), "STREAMCHAT_TLS_KEY", key.toString()));
    assertMessage("STREAMCHAT_TLS_CERT and STREAMCHAT_TLS_KEY must be set together",
        Map.of("STREAMCHAT_TLS_CERT", cert.toString()));

    // Both files are PEM, but the key is another certificate's: the start fails before listening.
    Exception mismatch = assertThrows(Exception.class, () -> TestServer.start(
        Map.of("STREAMCHAT_TLS_CERT", cert.toString(), "STREAMCHAT_TLS_KEY", otherKey.toString())).close());
    assertTrue(String.valueOf(rootOf(mismatch).getMessage()).contains("is not the private key of the certificate"),
        rootOf(mismatch).toString());
  }

  private static void assertMessage(String expected, Map<String, String> env) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Config.from(env));
    assertTrue(e.getMessage().startsWith(expected), e.getMessage());
  }

  private static Throwable rootOf(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t;
  }
}
