package dev.streamchat.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * STREAMCHAT_AUTH=proxy: the header is believed only from the trusted proxy's address. The test
 * is the proxy at 127.0.0.2 and a stranger at 127.0.0.1 (both loopback: the client socket is
 * bound to the address before connecting).
 */
class ProxyModeTest {

  private static final String PROXY = "127.0.0.2";
  private static final String STRANGER = "127.0.0.1";
  private static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_AUTH", "proxy", "STREAMCHAT_AUTH_HEADER", "X-Forwarded-Email",
        "STREAMCHAT_TRUSTED_PROXIES", "10.0.0.0/8, " + PROXY + "/32, fd00::/8"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** One HTTP/1.1 request from a socket bound to {@code from}; answers status and body. */
  private record Reply(int status, String body) {
  }

  private static Reply request(String from, String method, String path, String email, String body) throws IOException {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.setSoTimeout(10_000);
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nConnection: close\r\n"
          + (email == null ? "" : "X-Forwarded-Email: " + email + "\r\n")
          + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n") + "\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(content);
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(all.substring(9, 12));
      String rest = all.substring(all.indexOf("\r\n\r\n") + 4);
      // A chunked body: keep the chunk contents only.
      if (all.substring(0, all.indexOf("\r\n\r\n")).toLowerCase().contains("transfer-encoding: chunked")) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (true) {
          int eol = rest.indexOf("\r\n", i);
          int size = Integer.parseInt(rest.substring(i, eol).strip(), 16);
          if (size == 0) break;
          b.append(rest, eol + 2, eol + 2 + size);
          i = eol + 2 + size + 2;
        }
        rest = b.toString();
      }
      return new Reply(status, rest);
    }
  }

  @Test
  void theHeaderFromTheTrustedProxySignsInAndFromAnywhereElseIsRefused() throws Exception {
    Reply me = request(PROXY, "GET", "/api/auth/me", "Nina@Example.com", null);
    assertEquals(200, me.status(), me.body());
    assertEquals("nina@example.com", new JsonObject(me.body()).getString("username"), "the proxy's user, made on first sight");
    assertEquals("proxy", new JsonObject(me.body()).getString("mode"));

    Reply made = request(PROXY, "POST", "/api/conversations", "nina@example.com", "{}");
    assertEquals(201, made.status(), made.body());
    String conv = new JsonObject(made.body()).getString("id");
    JsonArray list = new JsonArray(request(PROXY, "GET", "/api/conversations", "nina@example.com", null).body());
    assertEquals(conv, list.getJsonObject(0).getString("id"), "every request with the header is the same person");
    assertEquals(404, request(PROXY, "GET", "/api/conversations/" + conv, "omar@example.com", null).status(),
        "another user the proxy names gets 404");
    assertEquals(200, request(PROXY, "GET", "/", "nina@example.com", null).status(), "pages too");
    assertEquals(303, request(PROXY, "GET", "/signin", "nina@example.com", null).status(), "no sign-in page here");
    assertTrue(request(PROXY, "GET", "/account", "nina@example.com", null).body().contains("nina@example.com"),
        "the account page (tokens) works");

    Reply forged = request(STRANGER, "GET", "/api/conversations", "nina@example.com", null);
    assertEquals(401, forged.status(), "the same header from an untrusted address is refused: " + forged.body());
    assertTrue(new JsonObject(forged.body()).getString("error").contains("proxy"), forged.body());
    assertEquals(401, request(STRANGER, "GET", "/", "nina@example.com", null).status(), "pages too");
    assertEquals(401, request(PROXY, "GET", "/api/conversations", null, null).status(), "the proxy without the header");
    assertEquals(401, request(PROXY, "GET", "/api/conversations", "<script>", null).status(), "a header naming nobody usable");
    assertEquals(200, request(STRANGER, "GET", "/health", null, null).status(), "health stays open");
    assertEquals(403, request(PROXY, "POST", "/api/auth/login", "nina@example.com",
        "{\"username\":\"nina\",\"password\":\"whatever-long\"}").status(), "no passwords in proxy mode");
  }

  @Test
  void aTokenMadeThroughTheProxyWorksDirectly() throws Exception {
    Reply made = request(PROXY, "POST", "/api/auth/tokens", "pia@example.com", "{\"name\":\"ci\"}");
    assertEquals(201, made.status(), made.body());
    String token = new JsonObject(made.body()).getString("token");
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(STRANGER, 0));
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.getOutputStream().write(("GET /api/auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "
          + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.contains("\"username\":\"pia@example.com\""), reply);
    }
  }
}
