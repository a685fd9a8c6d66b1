package dev.streamchat.stream.redis;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream store shared by the instances of a service: each generation is a Redis stream (one
 * entry per appended batch, its id the batch's last seq) and a hash (its info, counters and end),
 * both under the generation's hash tag. A script appends a batch, updates the counters and
 * publishes the batch on the events channel in one step, so a chunk is in Redis before any
 * instance can show it. Ended logs expire after the configured time (the answer is in the
 * database); running ones after a day at most. What the others write is read six times per lease
 * (every second by default), so the list of running generations (admin page, limits) covers the
 * whole service.
 *
 * <p>Each instance keeps the set of generations it writes and a lease (6 s by default) it renews
 * as often. When an instance's lease runs out (it died, or handed its generations over at
 * shutdown and deleted it), each survivor tries to claim each of its generations: a script sets the
 * generation's {@code instance} field to the claimer only if it still names the gone instance,
 * so exactly one claims each. The claim is added to the claimer's own set first, so should the
 * claimer die before it is done, its lease runs out in turn and another survivor claims it from
 * there. The claimer hands the generation to {@link #onOrphan} (which continues it, or ends it
 * interrupted); appends and the end are fenced on the {@code instance} field, so an instance
 * whose generation was taken over can add nothing to it. An instance that starts again under
 * its old name takes its own leftovers over the same way.
 */
public final class RedisStreamStore implements StreamStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisStreamStore.class);
  private static final long COMMAND_TIMEOUT_MS = 5_000;
  private static final int RUNNING_TTL_SECONDS = 24 * 3600;
  private static final long END_RETRY_MS = 10 * 60_000;
  /** Stream entries one read asks for; an entry is one appended batch. */
  private static final int ENTRIES_PER_READ = 256;

  private static final String START = """
      if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('generation exists') end
      redis.call('HSET', KEYS[1], unpack(ARGV, 2))
      redis.call('EXPIRE', KEYS[1], ARGV[1])
      return 1""";
  private static final String APPEND = """
      if redis.call('HEXISTS', KEYS[1], 'id') == 0 or redis.call('HEXISTS', KEYS[1], 'state') == 1 then
        return redis.error_reply('generation is not running')
      end
      if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[10] then return redis.error_reply('generation taken over') end
      redis.call('XADD', KEYS[2], ARGV[1], 'f', ARGV[2], 'k', ARGV[3], 't', ARGV[4])
      redis.call('EXPIRE', KEYS[2], ARGV[7])
      redis.call('HSET', KEYS[1], 'lastSeq', ARGV[5], 'lastChunkAt', ARGV[6])
      redis.call('HSETNX', KEYS[1], 'firstChunkAt', ARGV[6])
      redis.call('PUBLISH', ARGV[8], ARGV[9] .. ARGV[4] .. '}')
      return 1""";
  private static final String FINISH = """
      if redis.call('HEXISTS', KEYS[1], 'id') == 0 then return redis.error_reply('no such generation') end
      if redis.call('HEXISTS', KEYS[1], 'state') == 1 then return redis.error_reply('generation already ended') end
      if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[4] then return redis.error_reply('generation taken over') end
      redis.call('HSET', KEYS[1], unpack(ARGV, 5))
      redis.call('EXPIRE', KEYS[1], ARGV[1])
      redis.call('EXPIRE', KEYS[2], ARGV[1])
      redis.call('DEL', KEYS[3])
      redis.call('PUBLISH', ARGV[2], ARGV[3])
      return 1""";
  /** Publishes a held event, unless the generation was taken over (as appends are fenced). */
  private static final String HELD = """
      if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[3] then return 0 end
      redis.call('PUBLISH', ARGV[1], ARGV[2])
      return 1""";
  /** Makes ARGV[2] the writer of a running generation that ARGV[1] writes; answers its fields, or nothing. */
  private static final String CLAIM = """
      if redis.call('HEXISTS', KEYS[1], 'id') == 0 or redis.call('HEXISTS', KEYS[1], 'state') == 1 then return {} end
      if redis.call('HGET', KEYS[1], 'instance') ~= ARGV[1] then return {} end
      redis.call('HSET', KEYS[1], 'instance', ARGV[2])
      return redis.call('HGETALL', KEYS[1])""";
  private static final String READ = """
      return {redis.call('HGETALL', KEYS[1]), redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])}""";

  private final Redis redis;
  private final RedisKeys keys;
  private final String instance;
  private final int finishedTtlSeconds;
  /** An instance that has not renewed its lease for this long is taken for dead. */
  private final long leaseMs;
  private final Map<String, Live> running = new ConcurrentHashMap<>();
  /** What the other instances write, as last read. */
  private volatile Map<String, Remote> others = Map.of();
  private Vertx watcher;
  private volatile boolean closing;
  /** Gets each generation this instance claimed; null until the instance can run them. */
  private volatile Consumer<GenerationStatus> onOrphan;
  /** Generations this instance's last process left running, as {@link #recover()} found them. */
  private List<String> leftovers = List.of();
  /** Gone instances whose generations are being claimed now (one sweep of each at a time). */
  private final java.util.Set<String> sweeping = ConcurrentHashMap.newKeySet();
  private long watchTimer = -1;

  /** A generation another instance writes. */
  private record Remote(GenerationStatus status, String instance) {
  }

  /** The counters of a generation this instance writes. */
  private static final class Live {
    final GenerationInfo info;
    volatile long lastSeq;
    volatile long firstChunkAt;
    volatile long lastChunkAt;
    /** The last held event sent: the next one, and the end, wait for it. */
    volatile Future<?> heldTold = Future.succeededFuture();

    Live(GenerationInfo info, long lastSeq, long firstChunkAt) {
      this.info = info;
      this.lastSeq = lastSeq;
      this.firstChunkAt = firstChunkAt;
    }

    GenerationStatus status(GenerationEnd end) {
      return new GenerationStatus(info, lastSeq, firstChunkAt, lastChunkAt, end);
    }
  }

  public RedisStreamStore(Redis redis, RedisKeys keys, String instance, int finishedTtlSeconds, long leaseMs) {
    this.redis = redis;
    this.keys = keys;
    this.instance = instance;
    this.finishedTtlSeconds = finishedTtlSeconds;
    this.leaseMs = leaseMs;
  }

  private Future<Response> send(Request request) {
    return redis.send(request).timeout(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private Future<Response> eval(String script, String id, Object... args) {
    Request r = Request.cmd(Command.EVAL).arg(script).arg(3).arg(keys.info(id)).arg(keys.log(id)).arg(keys.request(id));
    for (Object a : args) r.arg(String.valueOf(a));
    return send(r);
  }

  @Override
  public Future<Void> start(GenerationInfo info) {
    List<Object> args = new ArrayList<>();
    args.add(RUNNING_TTL_SECONDS);
    infoFieldsAsArgs(RedisRecords.infoFields(info, instance), args);
    return eval(START, info.id(), args.toArray())
        .compose(ok -> send(Request.cmd(Command.SADD).arg(keys.running(instance)).arg(info.id())))
        .andThen(ar -> {
          if (ar.succeeded()) running.put(info.id(), new Live(info, 0, 0));
        })
        .mapEmpty();
  }

  private static void infoFieldsAsArgs(Map<String, String> fields, List<Object> args) {
    fields.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
  }

  @Override
  public Future<Long> append(String generationId, List<Chunk> chunks) {
    Live live = running.get(generationId);
    if (live == null) return Future.failedFuture(new IllegalStateException("generation " + generationId + " is not running"));
    if (chunks.isEmpty()) return Future.succeededFuture(live.lastSeq);
    long first = chunks.get(0).seq();
    long last = chunks.get(chunks.size() - 1).seq();
    long now = System.currentTimeMillis();
    String head = new JsonObject().put("i", instance).put("g", generationId).put("f", first)
        .put("k", RedisRecords.kinds(chunks)).encode();
    head = head.substring(0, head.length() - 1) + ",\"t\":";
    return eval(APPEND, generationId, last + "-0", first, RedisRecords.kinds(chunks), RedisRecords.texts(chunks),
        last, now, RUNNING_TTL_SECONDS, keys.events(), head, instance)
        .map(ok -> {
          if (live.firstChunkAt == 0) live.firstChunkAt = now;
          live.lastChunkAt = now;
          live.lastSeq = last;
          return last;
        });
  }

  /**
   * Publishes it from a script on the generation's keys, as {@link #append} publishes chunks (on
   * Redis Cluster, from the same node). Redis hands a subscriber messages in the order it ran the
   * commands that published them, on any channel, so what matters is the order Redis runs them in:
   * <ul>
   *   <li>after the chunks released with a "no longer held": the writer tells it only once their
   *       append is done, that is once Redis has run the script that published them;
   *   <li>after the previous held event, and before the end: the pool may send two commands on
   *       two connections, which Redis may run in either order, so each waits for the one before.
   * </ul>
   */
  @Override
  public Future<Void> tellHeld(String generationId, boolean holding) {
    Live live = running.get(generationId);
    if (live == null) return Future.succeededFuture(); // handed over: this instance tells no more of it
    String message = new JsonObject().put("i", instance).put("g", generationId).put("held", holding).encode();
    Future<Void> told = live.heldTold.transform(previous -> eval(HELD, generationId, keys.held(), message, instance))
        .mapEmpty();
    live.heldTold = told;
    return told;
  }

  @Override
  public Future<GenerationStatus> finish(String generationId, GenerationEnd end) {
    Live live = running.get(generationId);
    if (live == null) return Future.failedFuture(new IllegalStateException("generation " + generationId + " is not running"));
    GenerationEnd withFirst = live.firstChunkAt == 0 || end.firstChunkAt() != 0 ? end
        : new GenerationEnd(end.state(), end.error(), end.finishReason(), end.usage(), end.endedAt(), live.firstChunkAt);
    GenerationStatus status = live.status(withFirst);
    String message = new JsonObject().put("i", instance).put("g", generationId)
        .put("end", new JsonObject(new LinkedHashMap<>(RedisRecords.statusFields(status, instance)))).encode();
    List<Object> args = new ArrayList<>();
    args.add(finishedTtlSeconds);
    args.add(keys.events());
    args.add(message);
    args.add(instance);
    infoFieldsAsArgs(RedisRecords.endFields(withFirst, live.lastSeq), args);
    long until = System.currentTimeMillis() + END_RETRY_MS;
    return live.heldTold.transform(held -> writeEnd(generationId, args.toArray(), until))
        .compose(ok -> send(Request.cmd(Command.SREM).arg(keys.running(instance)).arg(generationId)))
        .transform(ar -> {
          running.remove(generationId);
          if (ar.failed()) {
            LOG.error("generation {}: its end could not be written to Redis: {}", generationId, ar.cause().toString());
            return Future.failedFuture(ar.cause());
          }
          return Future.succeededFuture(status);
        });
  }

  /**
   * Writes the end, trying again each second while Redis cannot be reached (up to
   * {@link #END_RETRY_MS}), so an answer cut off by an outage still ends, for every instance and
   * in the database, once Redis is back.
   */
  private Future<Response> writeEnd(String id, Object[] args, long until) {
    return eval(FINISH, id, args).recover(err -> {
      boolean refused = err.getMessage() != null && (err.getMessage().contains("no such generation")
          || err.getMessage().contains("already ended") || err.getMessage().contains("taken over"));
      if (refused || closing || watcher == null || System.currentTimeMillis() > until) return Future.failedFuture(err);
      LOG.warn("generation {}: its end could not be written to Redis ({}); trying again", id, err.toString());
      Promise<Response> again = Promise.promise();
      watcher.setTimer(1_000, t -> writeEnd(id, args, until).onComplete(again));
      return again.future();
    });
  }

  @Override
  public Future<GenerationStatus> status(String generationId) {
    Live live = running.get(generationId);
    if (live != null) return Future.succeededFuture(live.status(null));
    return send(Request.cmd(Command.HGETALL).arg(keys.info(generationId))).map(r -> {
      GenerationStatus s = RedisRecords.status(fields(r));
      if (s == null) throw new NotFound(generationId);
      return s;
    });
  }

  /** The instance writing (or that wrote) a generation. */
  public Future<String> instanceOf(String generationId) {
    return send(Request.cmd(Command.HGET).arg(keys.info(generationId)).arg(RedisRecords.INSTANCE)).map(r -> {
      if (r == null) throw new NotFound(generationId);
      return r.toString();
    });
  }

  @Override
  public Future<Slice> read(String generationId, long afterSeq, int maxChars) {
    long after = Math.max(0, afterSeq);
    return eval(READ, generationId, (after + 1) + "-0", ENTRIES_PER_READ).map(r -> {
      GenerationStatus status = RedisRecords.status(fields(r.get(0)));
      if (status == null) throw new NotFound(generationId);
      List<Chunk> out = new ArrayList<>();
      long chars = 0;
      entries:
      for (Response entry : r.get(1)) {
        Map<String, String> f = fields(entry.get(1));
        for (Chunk c : RedisRecords.chunks(Long.parseLong(f.get("f")), f.get("k"), new JsonArray(f.get("t")))) {
          if (c.seq() <= after) continue;
          if (!out.isEmpty() && chars + c.text().length() > maxChars) break entries;
          if (maxChars <= 0) break entries;
          out.add(c);
          chars += c.text().length();
        }
      }
      // The hash and the stream were read at one moment: a status never claims chunks it lacks.
      return new Slice(status, out);
    });
  }

  private static Map<String, String> fields(Response flat) {
    Map<String, String> out = new LinkedHashMap<>();
    if (flat == null) return out;
    if (flat.isMap()) {
      for (String k : flat.getKeys()) out.put(k, flat.get(k).toString());
      return out;
    }
    for (int i = 0; i + 1 < flat.size(); i += 2) out.put(flat.get(i).toString(), flat.get(i + 1).toString());
    return out;
  }

  @Override
  public Future<Answer> answer(String generationId) {
    return answerAfter(generationId, 0, new StringBuilder(), new StringBuilder());
  }

  private Future<Answer> answerAfter(String id, long after, StringBuilder text, StringBuilder reasoning) {
    return read(id, after, Integer.MAX_VALUE).compose(slice -> {
      for (Chunk c : slice.chunks()) (c.kind() == Chunk.Kind.TEXT ? text : reasoning).append(c.text());
      long last = slice.lastSeq(after);
      if (slice.chunks().isEmpty() || last >= slice.status().lastSeq()) {
        return Future.succeededFuture(new Answer(slice.status(), text.toString(), reasoning.toString()));
      }
      return answerAfter(id, last, text, reasoning);
    });
  }

  @Override
  public List<GenerationStatus> running() {
    Map<String, Remote> elsewhere = others;
    List<GenerationStatus> out = new ArrayList<>(running.size() + elsewhere.size());
    for (Live l : running.values()) out.add(l.status(null));
    for (Remote r : elsewhere.values()) if (!running.containsKey(r.status().id())) out.add(r.status());
    return out;
  }

  @Override
  public Optional<String> runsOn(String generationId) {
    if (running.containsKey(generationId)) return Optional.of(instance);
    Remote r = others.get(generationId);
    return r == null ? Optional.empty() : Optional.of(r.instance());
  }

  /**
   * Reads what the other instances are writing six times per lease (every second by default), so
   * {@link #running()} (the admin list, the limits) covers the whole service, and renews this
   * instance's lease: five renewals in a row may be late or lost before it lapses.
   */
  public void watch(Vertx vertx) {
    watcher = vertx;
    watchTimer = vertx.setPeriodic(0, leaseMs / 6, t -> lookNow());
  }

  /** Renews the lease and reads the others now (also when an instance says it has gone). */
  public void lookNow() {
    if (closing) return;
    renewLease().onComplete(v -> readOthers());
  }

  /**
   * From now on this instance claims the generations of instances that are gone, its own
   * leftovers first, and hands each to {@code handler}, which continues it here (see
   * {@link #resume}) or ends it (see {@link #interrupt}).
   */
  public Future<Void> takeOrphans(Consumer<GenerationStatus> handler) {
    onOrphan = handler;
    List<Future<Void>> claims = new ArrayList<>();
    for (String id : leftovers) claims.add(adopt(id, instance));
    leftovers = List.of();
    return Future.join(claims).mapEmpty();
  }

  private Future<Void> renewLease() {
    return redis.batch(List.of(
            Request.cmd(Command.SET).arg(keys.lease(instance)).arg(instance).arg("PX").arg(leaseMs),
            Request.cmd(Command.SADD).arg(keys.instances()).arg(instance)))
        .timeout(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS).mapEmpty();
  }

  /** Claims what a gone instance was writing; once it lists nothing more, it is no longer an instance. */
  private void sweep(String gone, Response generationIds) {
    if (onOrphan == null || closing || !sweeping.add(gone)) return;
    List<Future<Void>> claims = new ArrayList<>();
    for (Response gid : generationIds) claims.add(adopt(gid.toString(), gone));
    Future.all(claims)
        .compose(v -> send(Request.cmd(Command.SCARD).arg(keys.running(gone))))
        .compose(n -> n.toLong() > 0 ? Future.succeededFuture()
            : send(Request.cmd(Command.SREM).arg(keys.instances()).arg(gone)))
        .onComplete(ar -> {
          sweeping.remove(gone);
          if (ar.failed()) LOG.warn("the answers of gone instance {} could not all be claimed: {}", gone, ar.cause().toString());
        });
  }

  /**
   * Claims a generation {@code listedBy} lists, if the instance its hash names as writer is gone
   * (or is this one's last process), and hands it on; then {@code listedBy} no longer lists it.
   */
  private Future<Void> adopt(String id, String listedBy) {
    return send(Request.cmd(Command.HGET).arg(keys.info(id)).arg(RedisRecords.INSTANCE)).compose(r -> {
      if (r == null) return Future.succeededFuture((GenerationStatus) null);
      String writer = r.toString();
      Future<Boolean> gone = writer.equals(listedBy) ? Future.succeededFuture(true)
          : writer.equals(instance) ? Future.succeededFuture(false)
          : send(Request.cmd(Command.EXISTS).arg(keys.lease(writer))).map(e -> e.toInteger() == 0);
      return gone.compose(isGone -> !isGone ? Future.succeededFuture((GenerationStatus) null)
          // Listed as this instance's before it is claimed: should it die now, another claims it from here.
          : send(Request.cmd(Command.SADD).arg(keys.running(instance)).arg(id))
              .compose(v -> eval(CLAIM, id, writer, instance))
              .compose(claim -> {
                GenerationStatus s = RedisRecords.status(fields(claim));
                if (s != null) return Future.succeededFuture(s);
                return send(Request.cmd(Command.SREM).arg(keys.running(instance)).arg(id)).map(v -> (GenerationStatus) null);
              }));
    }).compose(claimed -> {
      Future<?> unlisted = listedBy.equals(instance) && claimed != null ? Future.succeededFuture()
          : listedBy.equals(instance) && running.containsKey(id) ? Future.succeededFuture()
          : send(Request.cmd(Command.SREM).arg(keys.running(listedBy)).arg(id));
      if (claimed != null) {
        LOG.info("generation {} of instance {} (gone) claimed here after {} chunks", id, listedBy, claimed.lastSeq());
        onOrphan.accept(claimed);
      }
      return unlisted.mapEmpty();
    });
  }

  /** Takes up a generation this instance has claimed: appends go on after its last chunk. */
  @Override
  public Future<Void> resume(String generationId) {
    return send(Request.cmd(Command.HGETALL).arg(keys.info(generationId))).compose(r -> {
      Map<String, String> f = fields(r);
      GenerationStatus s = RedisRecords.status(f);
      if (s == null || s.ended() || !instance.equals(f.get(RedisRecords.INSTANCE))) {
        return Future.failedFuture(new IllegalStateException("generation " + generationId + " is not this instance's"));
      }
      running.put(generationId, new Live(s.info(), s.lastSeq(), s.firstChunkAt()));
      return Future.succeededFuture();
    });
  }

  /** Ends a generation this instance has claimed as {@code interrupted}, keeping every chunk logged; null if it had ended. */
  public Future<GenerationStatus> interrupt(String generationId, String why) {
    Future<Void> taken = running.containsKey(generationId) ? Future.succeededFuture() : resume(generationId);
    return taken.compose(v -> finish(generationId, new GenerationEnd(GenerationState.INTERRUPTED, why, null,
        Usage.UNKNOWN, System.currentTimeMillis(), 0)));
  }

  @Override
  public boolean handsOver() {
    return true;
  }

  /** This instance writes no more of it; it stays in this instance's set until another claims it. */
  @Override
  public Future<Void> handOver(String generationId) {
    running.remove(generationId);
    return Future.succeededFuture();
  }

  /** Keeps what a generation's model is asked, so another instance can continue it should this one stop. */
  public Future<Void> remember(GenerationRequest request) {
    JsonArray turns = new JsonArray();
    for (ChatMessage m : request.messages()) turns.add(new JsonArray().add(m.role()).add(m.content()));
    String json = new JsonObject().put("m", turns).put("t", request.maxTokens()).encode();
    return send(Request.cmd(Command.SET).arg(keys.request(request.info().id())).arg(json).arg("EX").arg(RUNNING_TTL_SECONDS))
        .mapEmpty();
  }

  /** What a running generation's model was asked, as {@link #remember} kept it; null when nothing was kept. */
  public Future<GenerationRequest> request(GenerationInfo info) {
    return send(Request.cmd(Command.GET).arg(keys.request(info.id()))).map(r -> {
      if (r == null) return null;
      JsonObject json = new JsonObject(r.toString());
      List<ChatMessage> turns = new ArrayList<>();
      for (Object t : json.getJsonArray("m")) turns.add(new ChatMessage(((JsonArray) t).getString(0), ((JsonArray) t).getString(1)));
      return new GenerationRequest(info, turns, json.getInteger("t"), "");
    });
  }

  private void readOthers() {
    send(Request.cmd(Command.SMEMBERS).arg(keys.instances())).compose(instances -> {
      List<Request> sets = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (Response i : instances) {
        if (i.toString().equals(instance)) continue;
        names.add(i.toString());
        sets.add(Request.cmd(Command.SMEMBERS).arg(keys.running(i.toString())));
      }
      if (sets.isEmpty()) return Future.succeededFuture(Map.<String, Remote>of());
      for (String name : names) sets.add(Request.cmd(Command.EXISTS).arg(keys.lease(name)));
      return redis.batch(sets).compose(all -> {
        List<Response> members = new ArrayList<>(all.subList(0, names.size()));
        for (int i = 0; i < names.size(); i++) {
          if (all.get(names.size() + i).toInteger() == 0) {
            sweep(names.get(i), members.get(i));
            members.set(i, null);
          }
        }
        List<Request> infos = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
          if (members.get(i) == null) continue;
          for (Response gid : members.get(i)) {
            infos.add(Request.cmd(Command.HGETALL).arg(keys.info(gid.toString())));
            owners.add(names.get(i));
          }
        }
        if (infos.isEmpty()) return Future.succeededFuture(Map.<String, Remote>of());
        return redis.batch(infos).map(hashes -> {
          Map<String, Remote> found = new LinkedHashMap<>();
          for (int i = 0; i < hashes.size(); i++) {
            GenerationStatus s = RedisRecords.status(fields(hashes.get(i)));
            if (s != null && !s.ended()) found.put(s.id(), new Remote(s, owners.get(i)));
          }
          return found;
        });
      });
    }).onComplete(ar -> {
      if (ar.succeeded()) others = ar.result();
      else LOG.debug("the other instances' generations could not be read: {}", ar.cause().toString());
    });
  }

  /**
   * Takes the lease, and notes what this instance's last process left running: once the instance
   * can run generations, {@link #takeOrphans} claims them (so none is ended here).
   */
  @Override
  public Future<List<GenerationStatus>> recover() {
    return renewLease().compose(v -> send(Request.cmd(Command.SMEMBERS).arg(keys.running(instance)))).map(members -> {
      List<String> ids = new ArrayList<>();
      for (Response m : members) ids.add(m.toString());
      leftovers = ids;
      if (!ids.isEmpty()) LOG.info("{} generation(s) the last process left running are taken over once ready", ids.size());
      return List.of();
    });
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    List<String> ended = generationIds.stream().filter(id -> !running.containsKey(id)).toList();
    List<Future<Response>> dels = new ArrayList<>();
    for (String id : ended) dels.add(send(Request.cmd(Command.DEL).arg(keys.info(id)).arg(keys.log(id))));
    return Future.all(dels).mapEmpty();
  }

  @Override
  public Future<Void> ping() {
    return send(Request.cmd(Command.PING)).mapEmpty();
  }

  /**
   * Ends as interrupted what this instance still writes (at shutdown the worker has handed its
   * generations over already), then deletes the lease and says so, so the others claim at once
   * what it leaves.
   */
  @Override
  public Future<Void> close() {
    closing = true;
    if (watchTimer >= 0) watcher.cancelTimer(watchTimer);
    List<Future<GenerationStatus>> ends = new ArrayList<>();
    for (String id : List.copyOf(running.keySet())) {
      ends.add(finish(id, new GenerationEnd(GenerationState.INTERRUPTED,
          "The server was shut down while this answer was being written.", null, Usage.UNKNOWN,
          System.currentTimeMillis(), 0)));
    }
    return Future.join(ends)
        .eventually(() -> send(Request.cmd(Command.DEL).arg(keys.lease(instance))))
        .eventually(() -> send(Request.cmd(Command.PUBLISH).arg(keys.events())
            .arg(new JsonObject().put("i", instance).put("gone", true).encode())))
        .eventually(redis::close).mapEmpty();
  }
}
