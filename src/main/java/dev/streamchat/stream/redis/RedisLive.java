package dev.streamchat.stream.redis;

import dev.streamchat.stream.Addresses;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.LiveEvent;
import dev.streamchat.stream.LocalCodecs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this instance hears from the others over Redis pub/sub, on one connection of its own: the
 * live events of generations written elsewhere (chunks, the end, and whether filters hold text
 * back), republished on the local event bus where feeds listen for them, in the order they came
 * (the instance's own it has published there itself), and the ids of the
 * generations it writes that someone asked to stop, and word that another instance has shut down.
 * The subscription is made before the instance serves anything, so a feed registered on the local
 * bus misses nothing published after it.
 * A lost connection is made again, once a second.
 */
public final class RedisLive {

  private static final Logger LOG = LoggerFactory.getLogger(RedisLive.class);
  private static final long RECONNECT_MS = 1_000;

  private final Vertx vertx;
  private final RedisOptions options;
  private final RedisKeys keys;
  private final String instance;
  private Redis client;
  private RedisConnection connection;
  private boolean closed;
  private volatile boolean subscribed;
  private Runnable onInstanceGone = () -> { };

  public RedisLive(Vertx vertx, RedisOptions options, RedisKeys keys, String instance) {
    this.vertx = vertx;
    this.options = options;
    this.keys = keys;
    this.instance = instance;
    LocalCodecs.register(vertx);
  }

  /** Subscribes; the future completes once Redis has confirmed it. */
  public Future<Void> start() {
    Promise<Void> subscribed = Promise.promise();
    connect(subscribed);
    return subscribed.future();
  }

  private void connect(Promise<Void> subscribed) {
    if (closed) return;
    client = Redis.createClient(vertx, options);
    client.connect().compose(conn -> {
      connection = conn;
      conn.handler(this::onMessage);
      conn.exceptionHandler(err -> LOG.warn("Redis subscription: {}", err.toString()));
      conn.endHandler(v -> lost(null));
      return conn.send(Request.cmd(Command.SUBSCRIBE).arg(keys.events()).arg(keys.held()).arg(keys.stops(instance)));
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("listening to the other instances on Redis as {}", instance);
        this.subscribed = true;
        if (subscribed != null) subscribed.complete();
        // Events published while the subscription was down are in the store only.
        else vertx.eventBus().publish(Addresses.RESYNC, null);
      } else {
        if (subscribed != null) subscribed.fail(ar.cause());
        else lost(ar.cause());
      }
    });
  }

  private void lost(Throwable cause) {
    subscribed = false;
    if (closed) return;
    LOG.warn("Redis subscription lost{}; trying again in {} ms", cause == null ? "" : " (" + cause + ")", RECONNECT_MS);
    Redis old = client;
    connection = null;
    if (old != null) old.close();
    vertx.setTimer(RECONNECT_MS, t -> connect(null));
  }

  private void onMessage(Response r) {
    if (r.size() < 3 || !"message".equals(r.get(0).toString())) return;
    String channel = r.get(1).toString();
    String payload = r.get(2).toString();
    try {
      if (channel.equals(keys.events())) onEvent(new JsonObject(payload));
      else if (channel.equals(keys.held())) onHeld(new JsonObject(payload));
      else if (channel.equals(keys.stops(instance))) vertx.eventBus().request(Addresses.stop(payload), null);
    } catch (RuntimeException e) {
      LOG.warn("a message on {} could not be read: {}", channel, e.toString());
    }
  }

  /** Called when another instance says it has shut down (what it wrote is to be claimed now). */
  public void onInstanceGone(Runnable handler) {
    this.onInstanceGone = handler;
  }

  private void onEvent(JsonObject event) {
    if (instance.equals(event.getString("i"))) return;
    if (event.getBoolean("gone", false)) {
      onInstanceGone.run();
      return;
    }
    String gid = event.getString("g");
    LiveEvent live;
    JsonObject end = event.getJsonObject("end");
    if (end != null) {
      Map<String, String> fields = new HashMap<>();
      for (String k : end.fieldNames()) fields.put(k, String.valueOf(end.getValue(k)));
      GenerationStatus status = RedisRecords.status(fields);
      live = new LiveEvent(java.util.List.of(), status);
    } else {
      live = new LiveEvent(RedisRecords.chunks(event.getLong("f"), event.getString("k"), event.getJsonArray("t")), null);
    }
    vertx.eventBus().publish(Addresses.events(gid), live);
  }

  /** Whether filters hold text of another instance's generation back now: its feeds here tell their viewers. */
  private void onHeld(JsonObject event) {
    if (instance.equals(event.getString("i"))) return;
    vertx.eventBus().publish(Addresses.events(event.getString("g")), LiveEvent.held(event.getBoolean("held")));
  }

  /** Succeeds while this instance hears the others (for the readiness check). */
  public Future<Void> ready() {
    return subscribed ? Future.succeededFuture() : Future.failedFuture("not subscribed to Redis");
  }

  /** Asks the instance writing a generation to stop it. */
  public static Request stopRequest(RedisKeys keys, String instance, String generationId) {
    return Request.cmd(Command.PUBLISH).arg(keys.stops(instance)).arg(generationId);
  }

  public Future<Void> close() {
    closed = true;
    return client == null ? Future.succeededFuture() : client.close();
  }
}
