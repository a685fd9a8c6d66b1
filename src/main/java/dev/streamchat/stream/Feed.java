package dev.streamchat.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation on one event loop: one live subscription, fanned out to the loop's sinks.
 *
 * <p>Subscribe, then replay, then live: the subscription is registered before any sink reads the
 * store, so a chunk is either in what a sink reads or arrives live after it. A sink that is in
 * step (its last chunk sent is the one before a live event) gets the event as rendered once for
 * its view; any other sink (new, behind, or with a full write queue) catches up from the store on
 * its own, one pending task at most, and rejoins the shared rendering once in step again.
 *
 * <p>A live event is fanned out the moment it arrives while the loop is on time. On a loop that
 * is late (more viewers than it can write to per event) it is fanned out in the loop's next task,
 * with all that arrived meanwhile: each sink is then written once for several events instead of
 * once per event, so the work per event shrinks as the load grows, and the delay stays about one
 * fan-out long instead of growing with a backlog of events.
 *
 * <p>A feed whose last sink leaves before the end lingers a while: live events already on their
 * way to its subscription would otherwise be dropped by the event bus (and logged as discarded),
 * and a viewer that reconnects finds it still subscribed. It closes at once when the end has come,
 * the last event of its address.
 */
final class Feed {

  private static final Logger LOG = LoggerFactory.getLogger(Feed.class);
  /** The most text one event carries when catching up. */
  static final int MAX_EVENT_CHARS = 16 * 1024;
  private static final int PREFIX_PAGE_CHARS = 1024 * 1024;
  /** How long a feed with no sink stays subscribed before the end. */
  static final long LINGER_MS = 10_000;

  private final Feeds owner;
  private final Context context;
  private final StreamStore store;
  private final String id;
  private final MessageConsumer<LiveEvent> consumer;
  private final List<Sub> subs = new ArrayList<>();
  private final Map<FeedView, Head> heads = new IdentityHashMap<>();
  /** Live events received and not yet fanned out, and whether their fan-out is on the loop's queue. */
  private final ArrayDeque<LiveEvent> arrived = new ArrayDeque<>();
  private boolean fanOutQueued;
  private boolean subscribed;
  /** The last chunk seen live, and whether the end was. */
  private long liveSeq;
  private boolean endSeen;
  private long lingerTimer = -1;
  private boolean closed;

  /** The shared rendering of one view, positioned after chunk {@code seq}. */
  private static final class Head {
    final FeedView.Rendering rendering;
    long seq;

    Head(FeedView.Rendering rendering, long seq) {
      this.rendering = rendering;
      this.seq = seq;
    }
  }

  Feed(Feeds owner, Context context, StreamStore store, String id) {
    this.owner = owner;
    this.context = context;
    this.store = store;
    this.id = id;
    this.consumer = context.owner().eventBus().consumer(Addresses.events(id), msg -> arrive(msg.body()));
    consumer.completion().onComplete(ar -> {
      subscribed = true;
      for (Sub s : List.copyOf(subs)) pump(s);
    });
  }

  String id() {
    return id;
  }

  boolean settled() {
    return subscribed && subs.stream().allMatch(s -> s.started && !s.busy);
  }

  Feeds.Subscription attach(FeedView view, FeedSink sink, long cursor) {
    if (lingerTimer >= 0) {
      context.owner().cancelTimer(lingerTimer);
      lingerTimer = -1;
    }
    Sub sub = new Sub(view, sink, Math.max(0, cursor));
    subs.add(sub);
    if (subscribed) pump(sub);
    return sub;
  }

  /** Catches every sink up from the store: live events may have been missed. */
  void resync() {
    for (Sub s : List.copyOf(subs)) pump(s);
  }

  private void arrive(LiveEvent event) {
    arrived.add(event);
    if (fanOutQueued) return;
    if (owner.onTime()) {
      fanOut();
    } else {
      fanOutQueued = true;
      context.runOnContext(v -> fanOut());
    }
  }

  /** Fans out what arrived, in order; consecutive batches of chunks as one event. */
  private void fanOut() {
    fanOutQueued = false;
    while (!arrived.isEmpty()) {
      LiveEvent event = arrived.poll();
      if (event.isEnd()) {
        onEnd(event.end());
      } else if (event.isHeld()) {
        onHeld(event.holding());
      } else {
        List<Chunk> chunks = event.chunks();
        while (!arrived.isEmpty() && follows(arrived.peek(), chunks)) {
          if (chunks == event.chunks()) chunks = new ArrayList<>(chunks);
          chunks.addAll(arrived.poll().chunks());
        }
        onChunks(chunks);
      }
    }
  }

  private static boolean follows(LiveEvent next, List<Chunk> chunks) {
    return !next.isEnd() && !next.isHeld() && next.firstSeq() == chunks.get(chunks.size() - 1).seq() + 1;
  }

  private void onChunks(List<Chunk> chunks) {
    long first = chunks.get(0).seq();
    long last = chunks.get(chunks.size() - 1).seq();
    liveSeq = Math.max(liveSeq, last);
    Delta delta = null;
    Map<FeedView, Buffer> rendered = new IdentityHashMap<>(2);
    for (Sub s : List.copyOf(subs)) {
      if (s.closed || s.lastSent >= last) continue;
      if (!s.started || s.busy || s.lastSent != first - 1 || s.sink.writeQueueFull() || s.mustResume()) {
        pump(s);
        continue;
      }
      Buffer bytes = rendered.get(s.view);
      if (bytes == null) {
        Head head = headAt(s, first - 1);
        if (head == null) {
          pump(s);
          continue;
        }
        if (delta == null) delta = Delta.of(chunks);
        bytes = head.rendering.next(delta);
        head.seq = last;
        rendered.put(s.view, bytes);
      }
      s.own = null; // in step with the shared rendering now
      s.write(bytes, last);
    }
  }

  /**
   * Whether filters hold text back: told to every sink that has begun, in step or not (it is about
   * no chunk, so it needs no order with them); a sink that starts later learns it from the next change.
   */
  private void onHeld(boolean holding) {
    Map<FeedView, Buffer> rendered = new IdentityHashMap<>(2);
    for (Sub s : List.copyOf(subs)) {
      if (s.closed || !s.started) continue;
      Buffer bytes = rendered.containsKey(s.view) ? rendered.get(s.view) : s.view.held(id, holding);
      rendered.put(s.view, bytes);
      if (bytes != null) s.sink.write(bytes, 0);
    }
  }

  /** The end: rendered once per view for the sinks that have everything, the others catch up first. */
  private void onEnd(GenerationStatus status) {
    endSeen = true;
    if (subs.isEmpty()) {
      close();
      return;
    }
    liveSeq = Math.max(liveSeq, status.lastSeq());
    Map<FeedView, Buffer> rendered = new IdentityHashMap<>(2);
    for (Sub s : List.copyOf(subs)) {
      if (s.closed) continue;
      if (!s.started || s.busy || s.lastSent != status.lastSeq() || s.mustResume()) {
        pump(s);
        continue;
      }
      Buffer bytes = rendered.get(s.view);
      if (bytes == null) {
        Head head = headAt(s, status.lastSeq());
        if (head == null) {
          pump(s);
          continue;
        }
        bytes = head.rendering.end(status);
        rendered.put(s.view, bytes);
      }
      s.finish(bytes);
    }
  }

  /** The view's shared rendering after chunk {@code seq}: the one there, a sink's own adopted, or a new one. */
  private Head headAt(Sub s, long seq) {
    Head head = heads.get(s.view);
    if (head != null && head.seq == seq) return head;
    if (s.own != null && s.ownSeq == seq) {
      head = new Head(s.own, seq);
      s.own = null;
    } else if (!s.view.needsPrefix() || seq == 0) {
      head = new Head(s.view.open(new FeedView.Prefix(id, seq, "", "")), seq);
    } else {
      return null;
    }
    heads.put(s.view, head);
    return head;
  }

  /** Catches a sink up from the store: one task at a time per sink, none while its queue is full. */
  private void pump(Sub s) {
    if (s.closed || s.busy || !subscribed) return;
    s.busy = true;
    if (s.sink.writeQueueFull()) {
      s.sink.onDrain(() -> onContext(() -> {
        s.busy = false;
        pump(s);
      }));
      return;
    }
    store.read(id, s.lastSent, MAX_EVENT_CHARS).onComplete(ar -> onContext(() -> {
      s.busy = false;
      if (s.closed) return;
      if (ar.failed()) {
        LOG.warn("generation {}: a viewer could not be caught up: {}", id, ar.cause().toString());
        s.abort();
        return;
      }
      caughtUp(s, ar.result());
    }));
  }

  private void caughtUp(Sub s, StreamStore.Slice slice) {
    GenerationStatus status = slice.status();
    // A cursor beyond the log is taken as its last chunk: the stream goes on from the nearest valid point.
    if (status.lastSeq() < s.lastSent) s.lastSent = status.lastSeq();
    if (!s.started) {
      s.started = true;
      s.sink.started(s.lastSent);
    }
    boolean ends = slice.endsAfter(s.lastSent);
    if (slice.chunks().isEmpty() && !ends) {
      // The end (or chunks) may have come while this read was under way and passed the busy sink
      // by; the slice is from before it, so read again.
      if (s.lastSent < liveSeq || endSeen) {
        pump(s);
      } else if (s.own == null && s.lastSent > 0 && s.view.needsPrefix() && !headReady(s.view, s.lastSent)) {
        // Caught up with nothing to render: prepare the rendering the next live event needs.
        openOwn(s).onComplete(ar -> onContext(() -> {
          s.busy = false;
          if (s.closed) return;
          if (ar.succeeded() && s.lastSent == s.ownSeqWanted) {
            s.own = ar.result();
            s.ownSeq = s.lastSent;
          }
          // Live events that came meanwhile passed this sink by: it catches up with them now.
          if (s.lastSent < liveSeq || endSeen) pump(s);
        }));
      }
      return;
    }
    if (s.own == null || s.ownSeq != s.lastSent) {
      openOwn(s).onComplete(ar -> onContext(() -> {
        s.busy = false;
        if (s.closed) return;
        if (ar.failed()) {
          LOG.warn("generation {}: a viewer's view could not be opened: {}", id, ar.cause().toString());
          s.abort();
          return;
        }
        s.own = ar.result();
        s.ownSeq = s.lastSent;
        caughtUp(s, slice);
      }));
      return;
    }
    if (!slice.chunks().isEmpty()) {
      long last = slice.lastSeq(s.lastSent);
      Buffer bytes = s.own.next(Delta.of(slice.chunks()));
      s.ownSeq = last;
      s.write(bytes, last);
    }
    if (ends) {
      s.finish(s.own.end(status));
      return;
    }
    if (s.lastSent < Math.max(status.lastSeq(), liveSeq) || endSeen) pump(s);
  }

  private boolean headReady(FeedView view, long seq) {
    Head head = heads.get(view);
    return head != null && head.seq == seq;
  }

  /** A rendering of the sink's view after its last chunk sent, with the prefix read from the store if the view needs it. */
  private Future<FeedView.Rendering> openOwn(Sub s) {
    long seq = s.lastSent;
    s.ownSeqWanted = seq;
    if (!s.view.needsPrefix()) return Future.succeededFuture(s.view.open(new FeedView.Prefix(id, seq, "", "")));
    s.busy = true;
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    return readPrefix(0, seq, text, reasoning)
        .map(v -> s.view.open(new FeedView.Prefix(id, seq, text.toString(), reasoning.toString())));
  }

  private Future<Void> readPrefix(long after, long upTo, StringBuilder text, StringBuilder reasoning) {
    if (after >= upTo) return Future.succeededFuture();
    return store.read(id, after, PREFIX_PAGE_CHARS).compose(slice -> {
      long last = after;
      for (Chunk c : slice.chunks()) {
        if (c.seq() > upTo) break;
        (c.kind() == Chunk.Kind.TEXT ? text : reasoning).append(c.text());
        last = c.seq();
      }
      if (last == after) return Future.succeededFuture();
      return readPrefix(last, upTo, text, reasoning);
    });
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) r.run();
    else context.runOnContext(v -> r.run());
  }

  private void leave(Sub s) {
    subs.remove(s);
    if (subs.stream().noneMatch(o -> o.view == s.view)) heads.remove(s.view);
    if (!subs.isEmpty()) return;
    if (endSeen) {
      close();
    } else {
      lingerTimer = context.owner().setTimer(LINGER_MS, t -> {
        lingerTimer = -1;
        if (subs.isEmpty()) close();
      });
    }
  }

  private void close() {
    if (closed) return;
    closed = true;
    consumer.unregister();
    owner.closed(this);
  }

  /** One sink in this feed. */
  private final class Sub implements Feeds.Subscription {
    final FeedView view;
    final FeedSink sink;
    long lastSent;
    /** Its first read is done: the cursor is checked against the log. */
    boolean started;
    /** A read or a drain wait is pending (at most one task per sink). */
    boolean busy;
    boolean closed;
    /** Its own rendering while it is not in step with the shared one, after chunk {@code ownSeq}. */
    FeedView.Rendering own;
    long ownSeq;
    long ownSeqWanted;
    /** Resumed after chunk N (N > 0) of a view that renders from the prefix: nothing written to it yet. */
    boolean resuming;

    Sub(FeedView view, FeedSink sink, long cursor) {
      this.view = view;
      this.sink = sink;
      this.lastSent = cursor;
      this.resuming = cursor > 0 && view.needsPrefix();
    }

    /**
     * A sink resuming takes its first event from a rendering of its own, opened on its prefix: a
     * view may open a resume with something of its own (the JSON value so far) that a rendering
     * shared with sinks already in step would not send.
     */
    boolean mustResume() {
      return resuming;
    }

    void write(Buffer bytes, long seq) {
      sink.write(bytes, seq);
      lastSent = seq;
      resuming = false;
    }

    void finish(Buffer end) {
      close();
      sink.end(end);
    }

    /** Stops sending without an end: the viewer reconnects after the last id it got. */
    void abort() {
      close();
      sink.end(Buffer.buffer());
    }

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      own = null;
      leave(this);
    }
  }
}
