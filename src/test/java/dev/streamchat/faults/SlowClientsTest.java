package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.SseEvent;
import dev.streamchat.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Slow and idle clients over raw sockets: unfinished headers and idle kept-alive connections are
 * closed by their timeouts, the connection cap refuses cleanly while honest requests (and
 * /health/live) still get in, and a long event stream is never taken for an idle connection.
 */
class SlowClientsTest {

  @Test
  void headersTrickledAByteAtATimeAreCutOffByTheHeaderTimeout() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_HEADER_TIMEOUT_MS", "1000"));
         SlowClients slow = new SlowClients(server.port(), 300)) {
      long started = System.currentTimeMillis();
      while (slow.closedCount() < slow.size() && System.currentTimeMillis() - started < 4_000) {
        slow.trickle();
        assertEquals(200, SlowClients.honest(server.port(), "/health/live"), "honest requests get in meanwhile");
        Thread.sleep(250);
      }
      long took = System.currentTimeMillis() - started;
      assertEquals(slow.size(), slow.closedCount(), "every slow client is closed");
      assertTrue(took >= 900 && took <= 2_500, "closed by the 1 s header timeout, after " + took + " ms");
    }
  }

  @Test
  void aKeptAliveConnectionMustSendItsNextRequestInTime() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_KEEPALIVE_TIMEOUT_MS", "1000"));
         Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      assertTrue(new String(buf, 0, in.read(buf), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
      long started = System.currentTimeMillis();
      byte[] next = "GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
      int closedAfter = -1;
      for (int i = 0; i < next.length; i++) {
        try {
          out.write(next[i]);
          out.flush();
        } catch (java.io.IOException e) {
          closedAfter = (int) (System.currentTimeMillis() - started);
          break;
        }
        if (s.getInputStream().available() == 0 && i > 0 && isClosed(s)) {
          closedAfter = (int) (System.currentTimeMillis() - started);
          break;
        }
        Thread.sleep(200);
      }
      assertTrue(closedAfter >= 900 && closedAfter <= 2_500, "closed by the 1 s keep-alive timeout: " + closedAfter);
    }
  }

  private static boolean isClosed(Socket s) throws Exception {
    s.setSoTimeout(1);
    try {
      return s.getInputStream().read() < 0;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (java.io.IOException e) {
      return true;
    } finally {
      s.setSoTimeout(5_000);
    }
  }

  @Test
  void anEventStreamOutlivesTheTimeoutsForIdleConnections() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_KEEPALIVE_TIMEOUT_MS", "300",
        "STREAMCHAT_HEADER_TIMEOUT_MS", "300", "STREAMCHAT_DEMO_TPS", "1.25"))) {
      ApiClient alice = server.client();
      String gid = alice.ask(alice.newConversation(), "Slowly, please", 4);
      long started = System.currentTimeMillis();
      List<SseEvent> events = alice.readAll(gid, null, null);
      long lasted = System.currentTimeMillis() - started;
      SseEvent end = events.get(events.size() - 1);
      assertTrue(end.isEnd(), "the stream reached its end");
      assertEquals("done", end.json().getString("state"));
      assertTrue(lasted > 2_000, "silences of 800 ms, longer than the 300 ms timeouts; lasted " + lasted + " ms");
    }
  }

  @Test
  void theConnectionCapRefusesCleanlyAndKeepsRoomForHonestRequests() throws Exception {
    int cap = 40;
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_MAX_CONNECTIONS", String.valueOf(cap),
        "STREAMCHAT_HEADER_TIMEOUT_MS", "60000"));
         SlowClients idle = new SlowClients(server.port(), 100)) {
      Thread.sleep(500);
      int refused = idle.closedCount();
      assertTrue(idle.size() - refused <= cap, (idle.size() - refused) + " kept open, over the cap of " + cap);
      Thread.sleep(1_000); // the idle ones are now old enough to make room for a newcomer
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        assertEquals(200, SlowClients.honest(server.port(), "/health/live"), "/health/live answers at the cap");
        assertEquals(200, SlowClients.honest(server.port(), "/api/models"), "an honest request answers at the cap");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1_000, "answered in " + ms + " ms");
      }
      assertTrue(idle.size() - idle.closedCount() <= cap, "still within the cap");
    }
  }
}
