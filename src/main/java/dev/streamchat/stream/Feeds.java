package dev.streamchat.stream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.shareddata.Shareable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The feeds of one event loop: at most one {@link Feed} per generation, shared by every viewer
 * of that generation on this loop. Find it with {@link #here(Vertx)} from the loop's context.
 */
public final class Feeds {

  private static final String MAP = "streamchat.stream";
  private static final String STORE = "store";
  private static final String KEY = Feeds.class.getName();

  /** Fan out at once while this loop is at most this late; past it, events that arrive together go out together. */
  static final double ON_TIME_MS = 5;

  private final Context context;
  private final StreamStore store;
  /** This loop's delay (null on a context that is no event loop of the instance: then always on time). */
  private final Pressure.Loop loop;
  private final Map<String, Feed> byGeneration = new HashMap<>();

  private Feeds(Context context, StreamStore store) {
    this.context = context;
    this.store = store;
    this.loop = Pressure.of(context.owner()).loop(((ContextInternal) context).nettyEventLoop());
  }

  /** Makes {@code store} the one feeds read from on this Vert.x instance. */
  public static void install(Vertx vertx, StreamStore store) {
    LocalCodecs.register(vertx);
    vertx.sharedData().getLocalMap(MAP).put(STORE, new Installed(store));
  }

  private record Installed(StreamStore store) implements Shareable {
  }

  /** The feeds of the calling context (an event loop of a web verticle). */
  public static Feeds here(Vertx vertx) {
    Context ctx = vertx.getOrCreateContext();
    Feeds feeds = ctx.get(KEY);
    if (feeds == null) {
      Object installed = vertx.sharedData().getLocalMap(MAP).get(STORE);
      if (installed == null) throw new IllegalStateException("no stream store installed for feeds");
      feeds = new Feeds(ctx, ((Installed) installed).store());
      ctx.put(KEY, feeds);
      Feeds mine = feeds;
      vertx.eventBus().consumer(Addresses.RESYNC, msg -> mine.resync());
    }
    return feeds;
  }

  /**
   * Sends {@code sink} the generation's events after chunk {@code cursor} as {@code view} renders
   * them, then the end; the subscription stops it early.
   */
  public Subscription attach(String generationId, FeedView view, FeedSink sink, long cursor) {
    Feed feed = byGeneration.computeIfAbsent(generationId, id -> new Feed(this, context, store, id));
    return feed.attach(view, sink, cursor);
  }

  /** Live events may have been lost (the fan-out was cut off): every sink checks the store. */
  private void resync() {
    for (Feed feed : List.copyOf(byGeneration.values())) feed.resync();
  }

  /** Whether this loop keeps up with its work now: a live event can go out the moment it arrives. */
  boolean onTime() {
    return loop == null || loop.delayMs() <= ON_TIME_MS;
  }

  /** Feeds open on this loop (for tests and figures). */
  public int open() {
    return byGeneration.size();
  }

  /** True when the generation's feed here has every sink caught up and no task pending (for tests). */
  boolean settled(String generationId) {
    Feed feed = byGeneration.get(generationId);
    return feed != null && feed.settled();
  }

  void closed(Feed feed) {
    byGeneration.remove(feed.id(), feed);
  }

  /** A viewer's place in a feed. */
  public interface Subscription {
    /** Leaves the feed; the sink is sent nothing more. */
    void close();
  }
}
