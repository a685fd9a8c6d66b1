package dev.streamchat.stream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.util.HashMap;
import java.util.Map;

/**
 * The feeds of one event loop: at most one {@link Feed} per generation, shared by every viewer
 * of that generation on this loop. Find it with {@link #here(Vertx)} from the loop's context.
 */
public final class Feeds {

  private static final String MAP = "streamchat.stream";
  private static final String STORE = "store";
  private static final String KEY = Feeds.class.getName();

  private final Context context;
  private final StreamStore store;
  private final Map<String, Feed> byGeneration = new HashMap<>();

  private Feeds(Context context, StreamStore store) {
    this.context = context;
    this.store = store;
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

  /** Feeds open on this loop (for tests and figures). */
  public int open() {
    return byGeneration.size();
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
