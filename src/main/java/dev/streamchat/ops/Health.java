package dev.streamchat.ops;

import dev.streamchat.chat.ChatStore;
import dev.streamchat.chat.DiskSpace;
import dev.streamchat.chat.Problem;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness: the database answers {@code SELECT 1} (on the chat store's worker pool), the
 * stream store can write (a file, or Redis), the data dir has its least free space and, in a
 * service, live events of the other instances reach this one. Each check has a deadline, so a hung
 * database reads as down (and a database known to be away at once).
 */
public final class Health {

  private static final Logger LOG = LoggerFactory.getLogger(Health.class);
  private static final long DEADLINE_MS = 3_000;

  private final ChatStore chats;
  private final StreamStore streams;
  private final DiskSpace disk;
  private final Supplier<Future<Void>> fanOut;

  public Health(ChatStore chats, StreamStore streams, DiskSpace disk) {
    this(chats, streams, disk, Future::succeededFuture);
  }

  /** {@code fanOut} succeeds while live events of other instances reach this one. */
  public Health(ChatStore chats, StreamStore streams, DiskSpace disk, Supplier<Future<Void>> fanOut) {
    this.chats = chats;
    this.streams = streams;
    this.disk = disk;
    this.fanOut = fanOut;
  }

  /** {"status": "UP"|"DOWN", "checks": {"database": {...}, "streamStore": {...}}}; never fails. */
  public Future<JsonObject> readiness() {
    Future<JsonObject> database = check("database", chats::ping);
    Future<JsonObject> streamStore = check("streamStore", streams::ping);
    Future<JsonObject> live = check("fanOut", fanOut);
    JsonObject space = diskCheck();
    return Future.join(database, streamStore, live).transform(ignored -> {
      boolean up = isUp(database.result()) && isUp(streamStore.result()) && isUp(live.result()) && isUp(space);
      return Future.succeededFuture(new JsonObject().put("status", up ? "UP" : "DOWN")
          .put("checks", new JsonObject().put("database", database.result())
              .put("streamStore", streamStore.result()).put("fanOut", live.result()).put("disk", space)));
    });
  }

  private JsonObject diskCheck() {
    long mb = 1024 * 1024;
    JsonObject out = new JsonObject().put("status", disk.isLow() ? "DOWN" : "UP")
        .put("freeMb", Math.min(disk.freeBytes(), Long.MAX_VALUE / 2) / mb).put("minFreeMb", disk.minFreeBytes() / mb);
    if (disk.isLow()) out.put("error", "less free space than STREAMCHAT_MIN_FREE_MB");
    return out;
  }

  private static boolean isUp(JsonObject check) {
    return "UP".equals(check.getString("status"));
  }

  private static Future<JsonObject> check(String name, Supplier<Future<Void>> probe) {
    long started = System.nanoTime();
    Future<Void> running;
    try {
      running = probe.get();
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    return running.timeout(DEADLINE_MS, TimeUnit.MILLISECONDS).transform(ar -> {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      JsonObject out = new JsonObject().put("status", ar.succeeded() ? "UP" : "DOWN").put("ms", ms);
      if (ar.failed()) {
        // A database known to be away was logged once when it went; probes come every few seconds.
        if (!(ar.cause() instanceof Problem)) LOG.warn("health check {} failed: {}", name, ar.cause().toString());
        out.put("error", ms >= DEADLINE_MS ? "no answer within " + DEADLINE_MS + " ms" : "unavailable");
      }
      return Future.succeededFuture(out);
    });
  }
}
