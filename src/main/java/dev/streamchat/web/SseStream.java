package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import dev.streamchat.chat.Quotas;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.Addresses;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.Delta;
import dev.streamchat.stream.GenerationLog;
import dev.streamchat.stream.LiveEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * One viewer of one generation over SSE. It subscribes to live chunks first, then replays the
 * log after its cursor, then forwards only live chunks numbered above the last one it sent, so
 * nothing is lost or sent twice whatever the timing. While the client is behind (its write queue
 * is full) nothing is written; when it drains, everything pending goes out as one event read
 * from the log. All of it runs on the event loop of the viewer's connection.
 *
 * <p>A connection lives at most the configured lifetime: then the server ends the response
 * without an {@code end} event and the client resumes after the last id it got (the browser's
 * EventSource does so by itself, sending {@code Last-Event-ID}). A cursor beyond the log's last
 * chunk is taken as the last chunk: the stream goes on from the nearest valid point.
 */
final class SseStream {

  /** The most text one event carries when replaying a long log. */
  private static final int MAX_EVENT_CHARS = 16 * 1024;
  private static final long KEEP_ALIVE_MS = 15_000;

  private final Vertx vertx;
  private final HttpServerResponse response;
  private final GenerationLog log;
  private final EventFormat format;
  private final Quotas.Slot viewerSlot;
  private final long lifetimeMs;
  private long lastSent;
  private boolean replayed;
  private boolean waitingForDrain;
  private boolean closed;
  private MessageConsumer<JsonObject> consumer;
  private Viewers.Viewer viewer;
  private long keepAliveTimer = -1;
  private long lifetimeTimer = -1;

  private SseStream(Vertx vertx, HttpServerResponse response, GenerationLog log, long cursor, EventFormat format,
      Quotas.Slot viewerSlot, long lifetimeMs) {
    this.vertx = vertx;
    this.response = response;
    this.log = log;
    this.format = format;
    this.viewerSlot = viewerSlot;
    this.lifetimeMs = lifetimeMs;
    this.lastSent = Math.min(cursor, log.lastSeq());
  }

  /**
   * Streams the generation's events after chunk {@code cursor} on the request's response, if the
   * viewer bounds admit one more viewer; otherwise the request fails with a 429.
   */
  static void serve(Vertx vertx, RoutingContext ctx, Quotas quotas, GenerationLog log, long cursor, EventFormat format) {
    Quotas.Slot slot;
    try {
      slot = quotas.admitViewer(Sessions.owner(ctx), log.viewers());
    } catch (Problem p) {
      ctx.fail(p);
      return;
    }
    new SseStream(vertx, ctx.response(), log, cursor, format, slot, quotas.limits().sseMaxSeconds() * 1000L).start();
  }

  private void start() {
    viewer = Viewers.of(vertx).join(log, lastSent);
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache, no-transform")
        .putHeader("X-Accel-Buffering", "no");
    response.closeHandler(v -> close());
    response.exceptionHandler(err -> close());
    // Send the headers now: the client knows the stream is open before the first chunk.
    write("retry: 1000\n\n", 0);
    consumer = vertx.eventBus().consumer(Addresses.events(log.id()), msg -> onLive(msg.body()));
    consumer.completion().onComplete(registered -> {
      replayed = true;
      pump();
    });
    keepAliveTimer = vertx.setPeriodic(KEEP_ALIVE_MS, t -> {
      if (!closed && !response.writeQueueFull()) write(": keep-alive\n\n", 0);
    });
    lifetimeTimer = vertx.setTimer(lifetimeMs, t -> {
      if (closed) return;
      close();
      response.end(": connection lifetime reached; resume after the last id\n\n");
    });
  }

  private void onLive(JsonObject event) {
    if (closed || !replayed) return;
    if (LiveEvent.isEnd(event)) {
      pump();
      return;
    }
    Chunk chunk = LiveEvent.toChunk(event);
    if (chunk.seq() <= lastSent) return;
    if (chunk.seq() == lastSent + 1 && !waitingForDrain && !response.writeQueueFull()) {
      write(format.chunk(Delta.of(List.of(chunk))), chunk.seq());
      lastSent = chunk.seq();
    } else {
      pump();
    }
  }

  /** Sends everything the log has after the last chunk sent, then the end if the log has ended. */
  private void pump() {
    while (!closed) {
      if (response.writeQueueFull()) {
        awaitDrain();
        return;
      }
      GenerationLog.Slice slice = log.after(lastSent, MAX_EVENT_CHARS);
      if (!slice.chunks().isEmpty()) {
        Delta delta = Delta.of(slice.chunks());
        write(format.chunk(delta), delta.lastSeq());
        lastSent = delta.lastSeq();
      }
      if (slice.ended()) {
        Buffer end = Buffer.buffer(format.end(log));
        viewer.sent(0, end.length());
        response.end(end);
        close();
        return;
      }
      if (slice.chunks().isEmpty()) return;
    }
  }

  /** Writes an event; the viewer registry learns how far this viewer got and what it cost. */
  private void write(String event, long seq) {
    Buffer bytes = Buffer.buffer(event);
    response.write(bytes);
    viewer.sent(seq, bytes.length());
  }

  private void awaitDrain() {
    if (waitingForDrain) return;
    waitingForDrain = true;
    response.drainHandler(v -> {
      waitingForDrain = false;
      pump();
    });
  }

  private void close() {
    if (closed) return;
    closed = true;
    if (consumer != null) consumer.unregister();
    vertx.cancelTimer(keepAliveTimer);
    vertx.cancelTimer(lifetimeTimer);
    viewer.leave();
    viewerSlot.release();
  }
}
