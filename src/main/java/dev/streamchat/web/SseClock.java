package dev.streamchat.web;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The keep-alives and lifetimes of one event loop's event streams, on one periodic timer: two
 * Vert.x timers per stream cost about 400 bytes of heap each viewer, held for its whole life.
 * Streams are linked through their own fields, so joining and leaving allocate nothing.
 */
final class SseClock {

  /** How late a keep-alive or a lifetime's end may come. */
  static final long TICK_MS = 250;
  private static final String KEY = SseClock.class.getName();

  private final Vertx vertx;
  private SseStream head;
  private long timer = -1;

  private SseClock(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The clock of the calling event loop. */
  static SseClock here(Vertx vertx) {
    Context ctx = vertx.getOrCreateContext();
    SseClock clock = ctx.get(KEY);
    if (clock == null) {
      clock = new SseClock(vertx);
      ctx.put(KEY, clock);
    }
    return clock;
  }

  static long now() {
    return System.nanoTime() / 1_000_000;
  }

  void add(SseStream s) {
    s.next = head;
    if (head != null) head.prev = s;
    head = s;
    if (timer < 0) timer = vertx.setPeriodic(TICK_MS, t -> tick());
  }

  void remove(SseStream s) {
    if (s.prev != null) s.prev.next = s.next;
    else if (head == s) head = s.next;
    else return; // not on this clock (any more)
    if (s.next != null) s.next.prev = s.prev;
    s.prev = null;
    s.next = null;
    if (head == null) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void tick() {
    long now = now();
    SseStream s = head;
    while (s != null) {
      SseStream next = s.next; // s may leave the clock in tick
      s.tick(now);
      s = next;
    }
  }
}
