package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import dev.streamchat.chat.Quotas;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.FeedSink;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.Feeds;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One viewer of one generation over SSE: the SSE sink of the generation's feed on this event loop
 * (which does subscribe, replay, live and catching up). This class only frames the response: its
 * headers, keep-alives, the connection's lifetime, and what the viewer registry learns.
 *
 * <p>A connection lives at most the configured lifetime: then the server ends the response
 * without an {@code end} event and the client resumes after the last id it got (the browser's
 * EventSource does so by itself, sending {@code Last-Event-ID}). A cursor beyond the log's last
 * chunk is taken as the last chunk: the stream goes on from the nearest valid point.
 */
final class SseStream implements FeedSink {

  private static final long KEEP_ALIVE_MS = 15_000;

  private final HttpServerResponse response;
  private final Quotas.Slot viewerSlot;
  private boolean closed;
  private Feeds.Subscription subscription;
  private Viewers.Viewer viewer;
  private SseClock clock;
  /** When the next keep-alive and the lifetime's end are due, in {@link SseClock#now()} time. */
  private long keepAliveDue;
  private long lifetimeDue;
  /** This loop's streams on its clock. */
  SseStream prev;
  SseStream next;

  private SseStream(HttpServerResponse response, Quotas.Slot viewerSlot) {
    this.response = response;
    this.viewerSlot = viewerSlot;
  }

  /**
   * Streams the generation's events after chunk {@code cursor} on the request's response, if the
   * viewer bounds admit one more viewer; otherwise the request fails with a 429.
   */
  static void serve(Vertx vertx, RoutingContext ctx, Quotas quotas, GenerationStatus generation, long cursor,
      FeedView view) {
    Quotas.Slot slot;
    try {
      slot = quotas.admitViewer(Sessions.owner(ctx), Viewers.of(vertx).count(generation.id()));
    } catch (Problem p) {
      ctx.fail(p);
      return;
    }
    new SseStream(ctx.response(), slot)
        .start(vertx, generation.id(), Math.max(0, cursor), view, quotas.limits().sseMaxSeconds() * 1000L);
  }

  /** What is needed only here is not kept in fields: each idle viewer holds one of these. */
  private void start(Vertx vertx, String generationId, long cursor, FeedView view, long lifetimeMs) {
    viewer = Viewers.of(vertx).join(generationId, cursor);
    Sse.open(response);
    response.closeHandler(v -> close());
    response.exceptionHandler(err -> close());
    // Send the headers now: the client knows the stream is open before the first chunk.
    write(Buffer.buffer("retry: 1000\n\n"), 0);
    long now = SseClock.now();
    keepAliveDue = now + KEEP_ALIVE_MS;
    lifetimeDue = now + lifetimeMs;
    clock = SseClock.here(vertx);
    clock.add(this);
    subscription = Feeds.here(vertx).attach(generationId, view, this, cursor);
  }

  /** Sends a keep-alive or ends the connection when due. */
  void tick(long now) {
    if (closed) return;
    if (now >= lifetimeDue) {
      close();
      response.end(": connection lifetime reached; resume after the last id\n\n");
      return;
    }
    if (now >= keepAliveDue) {
      keepAliveDue = now + KEEP_ALIVE_MS;
      if (!response.writeQueueFull()) write(Buffer.buffer(": keep-alive\n\n"), 0);
    }
  }

  @Override
  public boolean writeQueueFull() {
    return !closed && response.writeQueueFull();
  }

  @Override
  public void onDrain(Runnable then) {
    response.drainHandler(v -> {
      response.drainHandler(null);
      then.run();
    });
  }

  /** Writes an event; the viewer registry learns how far this viewer got and what it cost. */
  @Override
  public void write(Buffer event, long lastSeq) {
    if (closed) return;
    response.write(event);
    viewer.sent(lastSeq, event.length());
  }

  @Override
  public void end(Buffer lastEvent) {
    if (closed) return;
    viewer.sent(0, lastEvent.length());
    close();
    response.end(lastEvent);
  }

  private void close() {
    if (closed) return;
    closed = true;
    if (subscription != null) subscription.close();
    if (clock != null) clock.remove(this);
    viewer.leave();
    viewerSlot.release();
  }
}
