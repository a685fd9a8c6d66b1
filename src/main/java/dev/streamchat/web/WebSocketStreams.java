package dev.streamchat.web;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.Problem;
import dev.streamchat.chat.Quotas;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.FeedSink;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.Feeds;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket transport, {@code GET /api/ws}: one socket carries any number of generations'
 * streams. The client sends {@code {"subscribe": gid, "after": N}} and {@code {"unsubscribe": gid}};
 * the server sends the events of the SSE API as {@code {"gid", "event": "chunk"|"json"|"held"|"end", ...}}, and
 * {@code {"gid", "event": "error", "status", "error"}} for a subscription it refuses. A
 * subscription may carry an {@code "id"} of the client's (its messages then carry it too), so one
 * socket can follow one generation for several readers from different cursors: the tabs of a
 * browser sharing one socket (webroot/live.js). With {@code "ack": true} the subscription's first
 * message is {@code {"gid", "event": "subscribed", "after"}} (or its error), so a client that
 * resubscribes knows which messages are the new subscription's. Each
 * subscription is a sink of the generation's feed, so resume, catching up and coalescing for a slow
 * socket are the SSE stream's.
 *
 * <p>The handshake needs the session cookie and, when an {@code Origin} is sent, the app's own
 * (a cross-site page cannot open a socket with the person's cookie). Messages, their rate and the
 * subscriptions of one socket are bounded; going past a bound closes the socket with a reason.
 */
final class WebSocketStreams {

  private static final Logger LOG = LoggerFactory.getLogger(WebSocketStreams.class);
  static final int MAX_MESSAGE_BYTES = 4096;
  static final int MAX_SUBSCRIPTIONS = 64;
  private static final int MAX_ID_CHARS = 100;
  /** Messages a client may send: a burst of this many, refilled at {@link #MESSAGES_PER_SECOND}. */
  static final int MESSAGE_BURST = 40;
  static final int MESSAGES_PER_SECOND = 20;
  private static final long PING_MS = 30_000;
  private static final short UNSUPPORTED = 1003;
  private static final short INVALID = 1007;
  private static final short POLICY = 1008;
  private static final short TOO_BIG = 1009;

  private final Vertx vertx;
  private final ChatService chat;
  private final Origins origins;
  /** The chat page's own events, for a page that follows its streams over this socket. */
  private final FeedView pageEvents;

  WebSocketStreams(Vertx vertx, ChatService chat, Origins origins, Views views) {
    this.vertx = vertx;
    this.chat = chat;
    this.origins = origins;
    this.pageEvents = EventFormat.overWebSocket(views.pageEvents());
  }

  void mount(Router router) {
    router.get("/api/ws").handler(this::handshake);
  }

  private void handshake(RoutingContext ctx) {
    if (!origins.allows(ctx.request())) {
      ctx.fail(new Problem(403, "Cross-origin WebSocket refused."));
      return;
    }
    if (!sentSessionCookie(ctx)) {
      ctx.fail(new Problem(401, "A WebSocket needs the session cookie: open the app first."));
      return;
    }
    String owner = Sessions.owner(ctx);
    ctx.request().toWebSocket().onSuccess(ws -> new Connection(ws, owner).start())
        .onFailure(err -> {
          // Not an upgrade request (or not one Vert.x can take, e.g. over HTTP/2): the caller's mistake.
          if (!ctx.response().headWritten()) ctx.fail(Problem.badRequest("This is a WebSocket endpoint: send an upgrade request."));
        });
  }

  /** Whether the request itself carried a session cookie (the session handler issues one to any request without). */
  private static boolean sentSessionCookie(RoutingContext ctx) {
    return Sessions.sessionCookie(ctx.request()) != null;
  }

  private static int indexOfLineBreak(Buffer b, int from) {
    for (int i = from; i < b.length(); i++) {
      if (b.getByte(i) == '\n') return i;
    }
    return -1;
  }

  /** One socket and its subscriptions; everything runs on the socket's event loop. */
  private final class Connection {
    private final ServerWebSocket ws;
    private final String owner;
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    private final List<Runnable> drainWaiters = new ArrayList<>();
    private double tokens = MESSAGE_BURST;
    private long tokensAt = System.nanoTime();
    private long pingTimer = -1;
    private boolean closed;

    Connection(ServerWebSocket ws, String owner) {
      this.ws = ws;
      this.owner = owner;
    }

    void start() {
      ws.textMessageHandler(this::onText);
      ws.binaryMessageHandler(b -> close(UNSUPPORTED, "Send JSON text messages."));
      ws.exceptionHandler(err -> {
        LOG.debug("websocket: {}", err.toString());
        close(INVALID, "Malformed frame.");
      });
      ws.closeHandler(v -> cleanUp());
      ws.drainHandler(v -> {
        List<Runnable> waiting = List.copyOf(drainWaiters);
        drainWaiters.clear();
        waiting.forEach(Runnable::run);
      });
      pingTimer = vertx.setPeriodic(PING_MS, t -> {
        if (!closed) ws.writePing(Buffer.buffer("ping"));
      });
    }

    private void onText(String text) {
      if (closed) return;
      if (text.length() > MAX_MESSAGE_BYTES || Buffer.buffer(text).length() > MAX_MESSAGE_BYTES) {
        close(TOO_BIG, "A message may be at most " + MAX_MESSAGE_BYTES + " bytes.");
        return;
      }
      if (!takeToken()) {
        close(POLICY, "Too many messages: at most " + MESSAGES_PER_SECOND + " a second.");
        return;
      }
      JsonObject message;
      try {
        message = new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        close(INVALID, "Malformed message: send a JSON object such as {\"subscribe\": \"<gid>\", \"after\": 0}.");
        return;
      }
      try {
        Object subscribe = message.getValue("subscribe");
        Object unsubscribe = message.getValue("unsubscribe");
        if (subscribe instanceof String gid && unsubscribe == null) {
          subscribe(gid, id(message.getValue("id"), gid), cursor(message.getValue("after")), view(message.getValue("view")),
              ack(message.getValue("ack")));
        } else if (unsubscribe instanceof String gid && subscribe == null) {
          Subscription s = subscriptions.remove(id(message.getValue("id"), gid));
          if (s != null) s.close();
        } else {
          throw Problem.badRequest("a message is {\"subscribe\": \"<gid>\", \"after\": N} or {\"unsubscribe\": \"<gid>\"}.");
        }
      } catch (Problem p) {
        close(INVALID, "Malformed message: " + p.getMessage());
      }
    }

    /** The subscription's key: the client's id, or the generation's when it gives none. */
    private String id(Object id, String gid) {
      if (id == null) return gid;
      if (id instanceof String s && !s.isEmpty() && s.length() <= MAX_ID_CHARS) return s;
      throw Problem.badRequest("id must be a string of 1 to " + MAX_ID_CHARS + " characters.");
    }

    private FeedView view(Object view) {
      if (view == null || "api".equals(view)) return EventFormat.WEBSOCKET;
      if ("page".equals(view)) return pageEvents;
      throw Problem.badRequest("view must be \"api\" or \"page\".");
    }

    private boolean ack(Object ack) {
      if (ack == null) return false;
      if (ack instanceof Boolean b) return b;
      throw Problem.badRequest("ack must be true or false.");
    }

    private long cursor(Object after) {
      if (after == null) return 0;
      if (after instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() == Math.rint(n.doubleValue())
          && n.doubleValue() <= Long.MAX_VALUE) {
        return n.longValue();
      }
      throw Problem.badRequest("after must be a chunk number (0 or more).");
    }

    /** One message costs one token; tokens come back at the allowed rate, up to the burst. */
    private boolean takeToken() {
      long now = System.nanoTime();
      tokens = Math.min(MESSAGE_BURST, tokens + (now - tokensAt) / 1e9 * MESSAGES_PER_SECOND);
      tokensAt = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }

    /**
     * A new subscription, or a resume: subscribing again to a generation restarts it after {@code after}.
     * The one replaced is closed here, so it sends nothing after this; with {@code ack} the new one's
     * first message says where it starts, so the client can tell the two apart.
     */
    private void subscribe(String gid, String id, long after, FeedView view, boolean ack) {
      Subscription previous = subscriptions.remove(id);
      if (previous != null) previous.close();
      if (subscriptions.size() >= MAX_SUBSCRIPTIONS) {
        close(POLICY, "Too many subscriptions: at most " + MAX_SUBSCRIPTIONS + " on one socket.");
        return;
      }
      Subscription s = new Subscription(gid, id, ack);
      subscriptions.put(id, s);
      chat.generation(owner, gid).onComplete(ar -> {
        if (closed || subscriptions.get(id) != s) return;
        if (ar.failed()) {
          subscriptions.remove(id);
          s.refuse(ar.cause());
          return;
        }
        Quotas.Slot slot;
        try {
          slot = chat.quotas().admitViewer(owner, Viewers.of(vertx).count(gid));
        } catch (Problem p) {
          subscriptions.remove(id);
          s.refuse(p);
          return;
        }
        // A JSON answer's API view adds its json events, as over SSE.
        boolean json = view == EventFormat.WEBSOCKET && ar.result().info().responseFormat() != null;
        s.start(slot, after, json ? EventFormat.WEBSOCKET_JSON_ANSWER : view);
      });
    }

    private void send(Buffer message) {
      // The client may have closed already (its close handler not run yet): nothing to write to.
      if (!closed && !ws.isClosed()) ws.writeTextMessage(message.toString());
    }

    private void close(short code, String reason) {
      if (closed) return;
      LOG.debug("websocket closed: {} {}", code, reason);
      cleanUp();
      if (!ws.isClosed()) ws.close(code, reason);
    }

    private void cleanUp() {
      if (closed) return;
      closed = true;
      vertx.cancelTimer(pingTimer);
      List.copyOf(subscriptions.values()).forEach(Subscription::close);
      subscriptions.clear();
      drainWaiters.clear();
    }

    /** One generation on this socket: a sink of its feed. */
    private final class Subscription implements FeedSink {
      private final String gid;
      /** The client's id for this subscription, or null: its messages are then the view's as they are. */
      private final String id;
      /** The client asked for {@code subscribed} before the subscription's first event. */
      private final boolean ack;
      private Feeds.Subscription feed;
      private Viewers.Viewer viewer;
      private Quotas.Slot slot;
      private boolean ended;

      Subscription(String gid, String id, boolean ack) {
        this.gid = gid;
        this.id = id.equals(gid) ? null : id;
        this.ack = ack;
      }

      void refuse(Throwable cause) {
        int status = cause instanceof Problem p ? p.status() : 500;
        String message = cause instanceof Problem ? cause.getMessage() : "The stream could not be opened; try again.";
        if (!(cause instanceof Problem)) LOG.warn("websocket: subscribing to {} failed", gid, cause);
        send(tagged(new JsonObject().put("gid", gid).put("event", "error").put("status", status).put("error", message).toBuffer()));
      }

      /** The message with this subscription's id first, when it has one (every view's message is a JSON object). */
      private Buffer tagged(Buffer message) {
        if (id == null) return message;
        return Buffer.buffer("{\"id\":" + Json.encode(id) + ",").appendBuffer(message, 1, message.length() - 1);
      }

      void start(Quotas.Slot viewerSlot, long after, FeedView view) {
        slot = viewerSlot;
        viewer = Viewers.of(vertx).join(gid, after);
        feed = Feeds.here(vertx).attach(gid, view, this, after);
      }

      /** Accepted, and its cursor checked against the log: nothing of it has been sent yet. */
      @Override
      public void started(long cursor) {
        if (ack && !ended && !closed) {
          send(tagged(new JsonObject().put("gid", gid).put("event", "subscribed").put("after", cursor).toBuffer()));
        }
      }

      @Override
      public boolean writeQueueFull() {
        return !ended && !closed && !ws.isClosed() && ws.writeQueueFull();
      }

      @Override
      public void onDrain(Runnable then) {
        drainWaiters.add(then);
      }

      @Override
      public void write(Buffer event, long lastSeq) {
        if (ended || closed) return;
        sendLines(event);
        viewer.sent(lastSeq, event.length());
      }

      /** One message per line: a view's step may add several (a JSON answer's chunk and its value). */
      private void sendLines(Buffer event) {
        int from = 0;
        for (int nl = indexOfLineBreak(event, from); nl >= 0; nl = indexOfLineBreak(event, from)) {
          if (nl > from) send(tagged(event.getBuffer(from, nl)));
          from = nl + 1;
        }
        if (from < event.length()) send(tagged(from == 0 ? event : event.getBuffer(from, event.length())));
      }

      @Override
      public void end(Buffer lastEvent) {
        if (ended || closed) return;
        if (lastEvent.length() > 0) {
          sendLines(lastEvent);
          viewer.sent(0, lastEvent.length());
        } else {
          // The feed stopped without an end (the store could not be read): the client resumes.
          send(tagged(new JsonObject().put("gid", gid).put("event", "error").put("status", 503)
              .put("error", "The stream was interrupted: subscribe again after the last seq received.").toBuffer()));
        }
        subscriptions.remove(id == null ? gid : id, this);
        close();
      }

      void close() {
        if (ended) return;
        ended = true;
        if (feed != null) feed.close();
        if (viewer != null) viewer.leave();
        if (slot != null) slot.release();
      }
    }
  }
}
