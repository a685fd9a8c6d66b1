package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client that reads nothing for seconds must not slow the generation or another viewer, and
 * when it reads again it gets everything it missed, coalesced into fewer events.
 */
class SlowReaderTest {

  @Test
  void aStalledReaderSlowsNeitherTheGenerationNorAFastViewer() throws Exception {
    int tokens = 60_000;
    double tps = 15_000;
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", String.valueOf(tps), "STREAMCHAT_MAX_ANSWER_TOKENS", "100000"))) {
      ApiClient client = server.client();
      String gid = client.ask(client.newConversation(), "slow and fast", tokens);
      String cookie = client.cookieHeader();

      try (Socket slow = new Socket()) {
        slow.setReceiveBufferSize(2048);
        slow.connect(new InetSocketAddress("127.0.0.1", server.port()));
        OutputStream out = slow.getOutputStream();
        out.write(("GET /api/generations/" + gid + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie
            + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();

        List<SseEvent> fast = client.readAll(gid, null, null);
        long fastDoneAt = System.currentTimeMillis();
        JsonObject g = client.generation(gid);
        assertEquals("done", g.getString("state"));
        long generationMs = g.getLong("endedAt") - g.getLong("startedAt");
        long fastLagMs = fastDoneAt - g.getLong("endedAt");
        double idealMs = tokens * 1000 / tps;
        System.out.printf("slow reader: generation took %d ms (ideal %.0f), fast viewer finished %d ms after it%n",
            generationMs, idealMs, fastLagMs);
        assertTrue(generationMs < idealMs * 2 + 1000, "the generation kept its pace: " + generationMs + " ms");
        assertTrue(fastLagMs < 1000, "the fast viewer finished with the generation: " + fastLagMs + " ms after");
        assertEquals(g.getString("text"), text(fast));

        // Now the stalled reader reads: it gets the whole text, its backlog coalesced.
        slow.setSoTimeout(20_000);
        String body = dechunk(readUntilEnd(slow.getInputStream()));
        List<SseEvent> slowEvents = parse(body);
        assertEquals(g.getString("text"), text(slowEvents));
        System.out.printf("slow reader: %d events for %d chunks%n", slowEvents.size() - 1, tokens);
        assertTrue(slowEvents.size() - 1 < tokens, "a backlog is sent as fewer, larger events");
      }
    }
  }

  private static String text(List<SseEvent> events) {
    StringBuilder sb = new StringBuilder();
    long last = 0;
    for (SseEvent e : events) {
      if (e.isEnd()) continue;
      assertTrue(e.id() > last);
      last = e.id();
      sb.append(e.json().getString("text"));
    }
    return sb.toString();
  }

  private static byte[] readUntilEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf)) > 0; ) {
      all.write(buf, 0, n);
      String tail = new String(all.toByteArray(), Math.max(0, all.size() - 200), Math.min(200, all.size()),
          StandardCharsets.ISO_8859_1);
      if (all.size() > 12 && !all.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200")) {
        throw new AssertionError("the stream did not open: " + all.toString(StandardCharsets.ISO_8859_1));
      }
      if (tail.contains("\r\n0\r\n\r\n")) break;
    }
    return all.toByteArray();
  }

  /** The body of a chunked HTTP/1.1 response. */
  private static String dechunk(byte[] response) {
    String raw = new String(response, StandardCharsets.ISO_8859_1);
    int pos = raw.indexOf("\r\n\r\n") + 4;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      int eol = raw.indexOf("\r\n", pos);
      int size = Integer.parseInt(raw.substring(pos, eol).trim(), 16);
      if (size == 0) break;
      body.write(response, eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  private static List<SseEvent> parse(String body) {
    List<SseEvent> out = new java.util.ArrayList<>();
    for (String block : body.split("\n\n")) {
      Long id = null;
      String event = null;
      StringBuilder data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("id: ")) id = Long.parseLong(line.substring(4));
        else if (line.startsWith("event: ")) event = line.substring(7);
        else if (line.startsWith("data: ")) data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
      }
      if (event != null) out.add(new SseEvent(id, event, data == null ? "" : data.toString(), 0));
    }
    return out;
  }
}
