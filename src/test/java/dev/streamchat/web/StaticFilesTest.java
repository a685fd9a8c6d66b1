package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Static files over real HTTP: compressed for a client that accepts gzip, kept for a year under a
 * URL that names their content, a favicon; and an event stream is never compressed.
 */
class StaticFilesTest {

  private static TestServer server;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "40", "STREAMCHAT_DEMO_TOKENS", "40"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static HttpResponse<byte[]> get(String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url(path))).timeout(Duration.ofSeconds(10));
    if (acceptEncoding != null) b.header("Accept-Encoding", acceptEncoding);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] gunzip(byte[] body) throws Exception {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return in.readAllBytes();
    }
  }

  /** The URL the chat page links a webroot file by. */
  private static String linked(String page, String file) {
    Matcher m = Pattern.compile("\"(/static/" + Pattern.quote(file) + "\\?v=[0-9a-f]{12})\"").matcher(page);
    assertTrue(m.find(), file + " is linked by a fingerprinted URL");
    return m.group(1);
  }

  @Test
  void scriptsAndStylesAreCompressedFingerprintedAndKeptForAYear() throws Exception {
    String page = new String(get("/", null).body(), java.nio.charset.StandardCharsets.UTF_8);
    for (String file : new String[] {"app.js", "app.css"}) {
      String url = linked(page, file);
      HttpResponse<byte[]> plain = get(url, null);
      HttpResponse<byte[]> gzipped = get(url, "gzip, deflate");
      assertEquals(200, gzipped.statusCode());
      assertEquals("gzip", gzipped.headers().firstValue("Content-Encoding").orElse(""), file + " is compressed: "
          + gzipped.headers().map());
      assertTrue(plain.headers().firstValue("Content-Encoding").isEmpty(), "only for a client that accepts it");
      assertArrayEquals(plain.body(), gunzip(gzipped.body()));
      assertTrue(gzipped.body().length < plain.body().length / 2,
          file + ": " + plain.body().length + " bytes, gzipped " + gzipped.body().length);
      String cache = gzipped.headers().firstValue("Cache-Control").orElse("");
      assertTrue(cache.contains("max-age=31536000") && cache.contains("immutable"), file + ": " + cache);
      HttpResponse<byte[]> unnamed = get("/static/" + file, null);
      assertEquals("no-cache", unnamed.headers().firstValue("Cache-Control").orElse(""),
          "a URL without a fingerprint is checked again each time");
      String etag = unnamed.headers().firstValue("ETag").orElseThrow();
      assertEquals(304, HTTP.send(HttpRequest.newBuilder(URI.create(server.url("/static/" + file)))
          .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.discarding()).statusCode(), "unchanged");
    }
    HttpResponse<byte[]> htmx = get("/webjars/htmx.org/2.0.10/dist/htmx.min.js", "gzip");
    assertEquals("gzip", htmx.headers().firstValue("Content-Encoding").orElse(""));
    System.out.printf("htmx.min.js: %d bytes gzipped (%d plain)%n", htmx.body().length,
        get("/webjars/htmx.org/2.0.10/dist/htmx.min.js", null).body().length);
  }

  @Test
  void theFaviconIsAnSvgLinkedFromEveryPageAndAskedForByItsOldName() throws Exception {
    String page = new String(get("/", null).body(), java.nio.charset.StandardCharsets.UTF_8);
    HttpResponse<byte[]> icon = get(linked(page, "favicon.svg"), null);
    assertEquals(200, icon.statusCode());
    assertEquals("image/svg+xml", icon.headers().firstValue("Content-Type").orElse("").split(";")[0]);
    assertEquals(200, get("/favicon.ico", null).statusCode(), "browsers that ask for /favicon.ico get it too");
  }

  @Test
  void anEventStreamIsNeverCompressed() throws Exception {
    ApiClient client = server.client();
    String gid = client.ask(client.newConversation(), "Hello", 40);
    client.awaitFinal(gid);
    for (String path : new String[] {"/api/generations/" + gid + "/events"}) {
      HttpResponse<String> events = client.sendRaw(HttpRequest.newBuilder(URI.create(server.url(path)))
          .header("Accept-Encoding", "gzip"));
      assertEquals(200, events.statusCode());
      assertTrue(events.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      assertFalse(events.headers().firstValue("Content-Encoding").isPresent(),
          "an event stream goes out as written: " + events.headers().map());
      assertTrue(events.body().contains("event: end"));
    }
  }
}
