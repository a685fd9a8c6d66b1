package dev.streamchat.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GET /api/ws over real sockets: the SSE events, one socket carrying several generations, resume
 * at random cuts with no gap or duplicate, the handshake's cookie and Origin checks, bounded and
 * malformed messages answered by a close with a reason, and a stalled socket that slows nobody.
 */
class WebSocketTest {

  private TestServer server;
  /** One client for the test, held: Vert.x closes a client nothing references, sockets and all. */
  private WebSocketClient client;

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
  }

  /** A socket's messages as they arrive, and how it was closed. */
  private static final class Socket2 {
    final WebSocket ws;
    final LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();

    Socket2(WebSocket ws) {
      this.ws = ws;
      ws.textMessageHandler(t -> messages.add(new JsonObject(t)));
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode() + " " + ws.closeReason()));
    }

    void send(JsonObject message) {
      ws.writeTextMessage(message.encode());
    }

    JsonObject next() throws InterruptedException {
      JsonObject m = messages.poll(20, TimeUnit.SECONDS);
      assertNotNull(m, "a message within 20 s");
      return m;
    }

    String closeReason() throws Exception {
      return closed.get(10, TimeUnit.SECONDS);
    }
  }

  private Future<WebSocket> connect(String cookie, String origin) {
    if (client == null) client = server.vertx().createWebSocketClient();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
        .setURI("/api/ws").setAllowOriginHeader(false);
    if (cookie != null) options.addHeader("Cookie", cookie);
    if (origin != null) options.addHeader("Origin", origin);
    return client.connect(options);
  }

  private Socket2 open(ApiClient api) throws Exception {
    return new Socket2(await(connect(api.cookieHeader(), "http://127.0.0.1:" + server.port())));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static JsonObject subscribe(String gid, long after) {
    return new JsonObject().put("subscribe", gid).put("after", after);
  }

  @Test
  void twoStreamsOnOneSocketCarryTheSseEventsWholeAndOnce() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "60"));
    ApiClient api = server.client();
    String g1 = api.ask(api.newConversation(), "one", 40);
    String g2 = api.ask(api.newConversation(), "two", 50);
    Socket2 socket = open(api);
    socket.send(subscribe(g1, 0));
    socket.send(subscribe(g2, 0));
    Map<String, StringBuilder> text = new HashMap<>(Map.of(g1, new StringBuilder(), g2, new StringBuilder()));
    Map<String, JsonObject> ends = new HashMap<>();
    Map<String, Long> lastSeq = new HashMap<>(Map.of(g1, 0L, g2, 0L));
    while (ends.size() < 2) {
      JsonObject m = socket.next();
      String gid = m.getString("gid");
      assertTrue(text.containsKey(gid), m.encode());
      if (m.getString("event").equals("chunk")) {
        assertTrue(m.getLong("seq") > lastSeq.get(gid), "seq grows: " + m.encode());
        lastSeq.put(gid, m.getLong("seq"));
        text.get(gid).append(m.getString("text"));
      } else {
        assertEquals("end", m.getString("event"), m.encode());
        ends.put(gid, m);
      }
    }
    for (String gid : List.of(g1, g2)) {
      JsonObject g = api.generation(gid);
      assertEquals(g.getString("text"), text.get(gid).toString(), "one socket, two streams: each whole and once");
      assertEquals("done", ends.get(gid).getString("state"));
      assertEquals(g.getLong("chunks"), ends.get(gid).getLong("chunks"));
      // The same event as SSE carries, plus gid and event.
      List<JsonObject> sseEnds = new ArrayList<>();
      api.readAll(gid, null, null).forEach(e -> {
        if (e.event().equals("end")) sseEnds.add(new JsonObject(e.data()));
      });
      JsonObject wsEnd = ends.get(gid).copy();
      wsEnd.remove("gid");
      wsEnd.remove("event");
      assertEquals(sseEnds.get(0), wsEnd);
    }
    assertTrue(!socket.closed.isDone(), "the socket stays open for more subscriptions");
  }

  @Test
  void oneGenerationForTwoReadersFromTwoCursorsOnOneSocketByTheirIds() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "60"));
    ApiClient api = server.client();
    String gid = api.ask(api.newConversation(), "one", 80);
    Socket2 socket = open(api);
    socket.send(subscribe(gid, 0).put("id", "tab-a"));
    // Reader b joins after the chunks reader a has had so far: it starts from its own cursor.
    StringBuilder head = new StringBuilder();
    long cut = 0;
    while (cut < 10) {
      JsonObject m = socket.next();
      assertEquals("tab-a", m.getString("id"));
      head.append(m.getString("text"));
      cut = m.getLong("seq");
    }
    socket.send(subscribe(gid, cut).put("id", "tab-b"));
    Map<String, StringBuilder> got = new HashMap<>(Map.of("tab-a", new StringBuilder(head), "tab-b", new StringBuilder(head)));
    int ended = 0;
    while (ended < 2) {
      JsonObject m = socket.next();
      assertEquals(gid, m.getString("gid"));
      if (m.getString("event").equals("end")) ended++;
      else got.get(m.getString("id")).append(m.getString("text"));
    }
    String text = api.awaitFinal(gid).getString("text");
    assertEquals(text, got.get("tab-a").toString(), "the reader from the start got all of it");
    assertEquals(text, got.get("tab-b").toString(), "the reader after chunk " + cut + " got exactly the rest");
  }

  /** The text of the generation's chunks after {@code after}, as the SSE API sends it. */
  private static String textAfter(ApiClient api, String gid, long after) {
    StringBuilder text = new StringBuilder();
    api.readAll(gid, null, after).forEach(e -> {
      if (e.event().equals("chunk")) text.append(new JsonObject(e.data()).getString("text"));
    });
    return text.toString();
  }

  private static JsonObject subscribed(String gid, long after) {
    return new JsonObject().put("gid", gid).put("event", "subscribed").put("after", after);
  }

  @Test
  void anAcknowledgedSubscriptionIsToldFirstTheCursorItStartsFromAndARefusedOneIsNot() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "200"));
    ApiClient api = server.client();
    String gid = api.ask(api.newConversation(), "ack", 20);
    long chunks = api.awaitFinal(gid).getLong("chunks");
    assertTrue(chunks > 5, "chunks: " + chunks);
    Socket2 socket = open(api);

    socket.send(subscribe(gid, 5).put("ack", true));
    assertEquals(subscribed(gid, 5), socket.next(), "the acknowledgement comes first, with the cursor");
    StringBuilder text = new StringBuilder();
    for (JsonObject m = socket.next(); !m.getString("event").equals("end"); m = socket.next()) {
      assertTrue(m.getLong("seq") > 5, m.encode());
      text.append(m.getString("text"));
    }
    assertEquals(textAfter(api, gid, 5), text.toString());

    // With an id it carries the id; a cursor beyond the log is acknowledged as where the stream really goes on.
    socket.send(subscribe(gid, 10_000).put("id", "far").put("ack", true));
    assertEquals(subscribed(gid, chunks).put("id", "far"), socket.next());
    assertEquals("end", socket.next().getString("event"));

    // A refused subscription gets its error and no acknowledgement; the next one is served as usual.
    socket.send(subscribe("no-such-generation", 0).put("ack", true));
    socket.send(subscribe(gid, chunks).put("ack", true));
    List<JsonObject> messages = new ArrayList<>();
    // Each is answered when its lookup completes, so in either order.
    while (messages.stream().noneMatch(m -> m.getString("event").equals("end"))
        || messages.stream().noneMatch(m -> m.getString("event").equals("error"))) {
      messages.add(socket.next());
    }
    assertEquals(List.of(subscribed(gid, chunks)),
        messages.stream().filter(m -> m.getString("event").equals("subscribed")).toList(), messages.toString());
    JsonObject refused = messages.stream().filter(m -> m.getString("gid").equals("no-such-generation")).findFirst().orElseThrow();
    assertEquals(404, refused.getInteger("status"), refused.encode());
  }

  @Test
  void noMessageOfAReplacedSubscriptionComesAfterTheAcknowledgementOfItsResume() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "500", "STREAMCHAT_DEMO_TOKENS", "1500"));
    ApiClient api = server.client();
    String gid = api.ask(api.newConversation(), "a long answer", null);
    while (api.generation(gid).getLong("chunks") < 50) Thread.sleep(5);
    long cut = 20;
    Socket2 socket = open(api);
    socket.send(subscribe(gid, 0).put("ack", true));
    assertEquals(subscribed(gid, 0), socket.next());
    // The server wrote that subscription's first event in the same step as its acknowledgement, and
    // live ones follow, so they are on their way as the client resumes from another cursor on the
    // same socket, without an id.
    socket.send(subscribe(gid, cut).put("ack", true));
    int old = 0;
    for (JsonObject m = socket.next(); !m.equals(subscribed(gid, cut)); m = socket.next()) {
      assertEquals("chunk", m.getString("event"), m.encode());
      old++;
    }
    assertTrue(old > 0, "the replaced subscription's messages came in between");
    StringBuilder text = new StringBuilder();
    long lastSeq = cut;
    for (JsonObject m = socket.next(); !m.getString("event").equals("end"); m = socket.next()) {
      assertEquals("chunk", m.getString("event"), m.encode());
      assertTrue(m.getLong("seq") > lastSeq, "after the acknowledgement, only the resumed subscription: " + m.encode());
      lastSeq = m.getLong("seq");
      text.append(m.getString("text"));
    }
    JsonObject done = api.awaitFinal(gid);
    assertEquals(done.getLong("chunks"), lastSeq);
    String after = textAfter(api, gid, cut);
    assertTrue(done.getString("text").endsWith(after) && after.length() < done.getString("text").length());
    assertEquals(after, text.toString(), "exactly the text after chunk " + cut + ", once");
  }

  @Test
  void resumeAtRandomCutsHasNoGapAndNoDuplicate() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "150", "STREAMCHAT_DEMO_TOKENS", "300"));
    long seed = System.nanoTime();
    Random random = new Random(seed);
    ApiClient api = server.client();
    String gid = api.ask(api.newConversation(), "long", null);
    StringBuilder text = new StringBuilder();
    // The text's length after each seq applied: where a subscription acknowledged after that seq resets it to.
    Map<Long, Integer> lengthAt = new HashMap<>(Map.of(0L, 0));
    List<Long> cuts = new ArrayList<>(List.of(0L));
    long cursor = 0;
    int sockets = 0;
    boolean ended = false;
    while (!ended) {
      assertTrue(++sockets < 200, "seed " + seed + ": the stream did not end");
      Socket2 socket = open(api);
      // Subscribe, maybe again at once from this or an earlier cut (a resubscribe restarts after its
      // cursor), read a random number of messages, drop.
      List<Long> asked = new ArrayList<>(List.of(cursor));
      socket.send(subscribe(gid, cursor).put("ack", true));
      if (random.nextInt(4) == 0) {
        asked.add(random.nextBoolean() ? cursor : cuts.get(random.nextInt(cuts.size())));
        socket.send(subscribe(gid, asked.get(1)).put("ack", true));
      }
      int take = 1 + random.nextInt(12);
      long lastSeen = cursor;
      for (int i = 0; i < take && !ended; ) {
        JsonObject m = socket.next();
        if (m.getString("event").equals("subscribed")) {
          // Every later message is this subscription's, after the acknowledged cursor: what the one
          // it replaced applied beyond it comes again.
          long after = m.getLong("after");
          assertTrue(asked.contains(after), "seed " + seed + ": " + m.encode() + " for " + asked);
          text.setLength(lengthAt.get(after));
          lastSeen = after;
          continue;
        }
        i++;
        if (m.getString("event").equals("end")) {
          ended = true;
        } else {
          assertTrue(m.getLong("seq") > lastSeen, "seed " + seed + ": seq grows within a subscription: " + m.encode());
          text.append(m.getString("text"));
          lastSeen = m.getLong("seq");
          lengthAt.put(lastSeen, text.length());
          cuts.add(lastSeen);
        }
      }
      cursor = lastSeen;
      socket.ws.close();
    }
    assertEquals(api.awaitFinal(gid).getString("text"), text.toString(),
        "seed " + seed + ", " + sockets + " sockets: resumed at random cuts, no gap, no duplicate");
  }

  @Test
  void theHandshakeNeedsTheSessionCookieAndTheAppsOwnOrigin() throws Exception {
    server = TestServer.start(Map.of());
    ApiClient api = server.client();
    String gid = api.ask(api.newConversation(), "hi", 5);
    // A page of another site opening a socket with the person's cookie (cross-site WebSocket hijacking).
    assertTrue(handshake("Cookie: " + api.cookieHeader() + "\r\nOrigin: https://evil.example").startsWith("HTTP/1.1 403"));
    assertTrue(handshake("Cookie: " + api.cookieHeader() + "\r\nOrigin: http://127.0.0.1:" + server.port()
        + "\r\nOrigin: https://evil.example").startsWith("HTTP/1.1 403"), "every Origin sent must be the app's");
    Throwable noCookie = assertFails(connect(null, null));
    assertTrue(noCookie instanceof UpgradeRejectedException u && u.getStatus() == 401, "no session refused: " + noCookie);
    assertTrue(handshake("Cookie: " + api.cookieHeader() + "\r\nOrigin: http://127.0.0.1:" + server.port())
        .startsWith("HTTP/1.1 101"), "the app's own page is served");

    // A program (no Origin) with the cookie is served; another session's generation is a 404 like everywhere.
    Socket2 program = new Socket2(await(connect(api.cookieHeader(), null)));
    program.send(subscribe(gid, 0));
    JsonObject first = program.next();
    assertEquals(gid, first.getString("gid"));
    ApiClient other = server.client();
    other.newConversation();
    Socket2 stranger = open(other);
    stranger.send(subscribe(gid, 0));
    JsonObject refused = stranger.next();
    assertEquals("error", refused.getString("event"));
    assertEquals(404, refused.getInteger("status"));
  }

  /** The status line and headers the server answers a raw handshake carrying {@code headers}. */
  private String handshake(String headers) throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(("GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n" + headers + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return readHead(s.getInputStream());
    }
  }

  private static String readHead(InputStream in) throws Exception {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private static Throwable assertFails(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the handshake was accepted");
  }

  @Test
  void oversizedMalformedAndFloodingClientsAreClosedWithAReason() throws Exception {
    server = TestServer.start(Map.of());
    ApiClient api = server.client();
    api.newConversation();

    Socket2 big = open(api);
    big.ws.writeTextMessage("{\"subscribe\": \"" + "x".repeat(5000) + "\"}");
    assertEquals("1009 A message may be at most 4096 bytes.", big.closeReason());

    Socket2 huge = open(api);
    huge.ws.writeTextMessage("x".repeat(100_000));
    assertTrue(huge.closeReason().startsWith("1009"), "a frame over Vert.x's limit is closed too");

    Socket2 notJson = open(api);
    notJson.ws.writeTextMessage("subscribe me");
    assertTrue(notJson.closeReason().startsWith("1007 Malformed message"), "not JSON");

    Socket2 wrongType = open(api);
    wrongType.send(new JsonObject().put("subscribe", 42));
    assertTrue(wrongType.closeReason().startsWith("1007 Malformed message: a message is"), "wrong field type");

    Socket2 badAck = open(api);
    badAck.send(new JsonObject().put("subscribe", "abc").put("ack", "yes"));
    assertEquals("1007 Malformed message: ack must be true or false.", badAck.closeReason());

    Socket2 badCursor = open(api);
    badCursor.send(new JsonObject().put("subscribe", "abc").put("after", -1));
    assertEquals("1007 Malformed message: after must be a chunk number (0 or more).", badCursor.closeReason());

    Socket2 binary = open(api);
    binary.ws.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));
    assertEquals("1003 Send JSON text messages.", binary.closeReason());

    Socket2 flood = open(api);
    for (int i = 0; i < 200; i++) flood.send(new JsonObject().put("unsubscribe", "g" + i));
    assertEquals("1008 Too many messages: at most 20 a second.", flood.closeReason());

    // Nothing crashed: a well-behaved socket is served as before.
    String gid = api.ask(api.newConversation(), "still there?", 3);
    Socket2 fine = open(api);
    fine.send(subscribe(gid, 0));
    assertEquals(gid, fine.next().getString("gid"));
  }

  @Test
  void aStalledSocketDoesNotSlowOthersAndCatchesUpCoalesced() throws Exception {
    server = TestServer.start(Map.of("STREAMCHAT_DEMO_TPS", "1500", "STREAMCHAT_DEMO_TOKENS", "4500"));
    ApiClient api = server.client();
    String stalledGid = api.ask(api.newConversation(), "for the stalled socket", null);

    // A socket that subscribes and then reads nothing: the server's write queue for it fills.
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
      RawWebSocket raw = new RawWebSocket(stalled, server.port(), api.cookieHeader());
      raw.sendText(subscribe(stalledGid, 0).encode());

      String liveGid = api.ask(api.newConversation(), "for the live socket", null);
      Socket2 live = open(api);
      long startedAt = System.nanoTime();
      live.send(subscribe(liveGid, 0));
      StringBuilder liveText = new StringBuilder();
      int liveMessages = 0;
      while (true) {
        JsonObject m = live.next();
        if (m.getString("event").equals("end")) break;
        liveText.append(m.getString("text"));
        liveMessages++;
      }
      long liveMs = (System.nanoTime() - startedAt) / 1_000_000;
      JsonObject liveGen = api.generation(liveGid);
      assertEquals(liveGen.getString("text"), liveText.toString());
      long generationMs = liveGen.getLong("endedAt") - liveGen.getLong("startedAt");
      System.out.printf("websocket: live socket got %d messages in %d ms (its generation ran %d ms) beside a stalled one%n",
          liveMessages, liveMs, generationMs);
      assertTrue(liveMs < generationMs + 1500, "the live socket kept pace with its generation: " + liveMs + " ms vs " + generationMs);

      // The stalled socket reads at last: everything, once, in fewer messages than chunks (coalesced).
      JsonObject stalledGen = api.awaitFinal(stalledGid);
      StringBuilder stalledText = new StringBuilder();
      int stalledMessages = 0;
      for (String message; (message = raw.readText()) != null; ) {
        JsonObject m = new JsonObject(message);
        if (m.getString("event").equals("end")) break;
        stalledText.append(m.getString("text"));
        stalledMessages++;
      }
      assertEquals(stalledGen.getString("text"), stalledText.toString(), "the stalled socket caught up, no gap, no duplicate");
      System.out.printf("websocket: stalled socket caught up %d chunks in %d messages%n", stalledGen.getLong("chunks"), stalledMessages);
      assertTrue(stalledMessages < stalledGen.getLong("chunks"), "while it was behind, its chunks were coalesced");
    }
  }

  /** A WebSocket client on a plain socket, so a test can stop reading and let the server's queue fill. */
  private static final class RawWebSocket {
    private final OutputStream out;
    private final DataInputStream in;
    private final Random random = new Random();

    RawWebSocket(Socket socket, int port, String cookie) throws Exception {
      out = socket.getOutputStream();
      InputStream raw = socket.getInputStream();
      out.write(("GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: " + cookie + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readHead(raw);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      in = new DataInputStream(raw);
    }

    void sendText(String text) throws Exception {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      assertTrue(payload.length < 126);
      byte[] mask = new byte[4];
      random.nextBytes(mask);
      out.write(0x81);
      out.write(0x80 | payload.length);
      out.write(mask);
      for (int i = 0; i < payload.length; i++) out.write(payload[i] ^ mask[i % 4]);
      out.flush();
    }

    /** The next text message (pings skipped), or null when the server closed. */
    String readText() throws Exception {
      while (true) {
        int b0 = in.read();
        if (b0 < 0) return null;
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7f;
        if (length == 126) length = in.readUnsignedShort();
        else if (length == 127) length = in.readLong();
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        int opcode = b0 & 0x0f;
        if (opcode == 8) return null;
        if (opcode == 1) return new String(payload, StandardCharsets.UTF_8);
      }
    }
  }
}
