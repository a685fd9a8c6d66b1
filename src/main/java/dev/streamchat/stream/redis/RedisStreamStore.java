package dev.streamchat.stream.redis;

import dev.streamchat.model.Usage;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
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
 * database); running ones after a day at most, should their instance vanish. Each instance keeps
 * the set of generations it writes, so its next start ends its own leftovers as interrupted and
 * never touches another instance's. What the others write is read every second, so the list of
 * running generations (admin page, limits) covers the whole service.
 */
public final class RedisStreamStore implements StreamStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisStreamStore.class);
  private static final long COMMAND_TIMEOUT_MS = 5_000;
  private static final int RUNNING_TTL_SECONDS = 24 * 3600;
  private static final long END_RETRY_MS = 10 * 60_000;
  /** An instance that has not renewed its lease for this long is taken for dead. */
  static final long LEASE_MS = 6_000;
  static final String GONE = "The server writing this answer stopped; it ended here with the text written so far.";
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
      redis.call('XADD', KEYS[2], ARGV[1], 'f', ARGV[2], 'k', ARGV[3], 't', ARGV[4])
      redis.call('EXPIRE', KEYS[2], ARGV[7])
      redis.call('HSET', KEYS[1], 'lastSeq', ARGV[5], 'lastChunkAt', ARGV[6])
      redis.call('HSETNX', KEYS[1], 'firstChunkAt', ARGV[6])
      redis.call('PUBLISH', ARGV[8], ARGV[9] .. ARGV[4] .. '}')
      return 1""";
  private static final String FINISH = """
      if redis.call('HEXISTS', KEYS[1], 'id') == 0 then return redis.error_reply('no such generation') end
      if redis.call('HEXISTS', KEYS[1], 'state') == 1 then return redis.error_reply('generation already ended') end
      redis.call('HSET', KEYS[1], unpack(ARGV, 4))
      redis.call('EXPIRE', KEYS[1], ARGV[1])
      redis.call('EXPIRE', KEYS[2], ARGV[1])
      redis.call('PUBLISH', ARGV[2], ARGV[3])
      return 1""";
  /** Ends a generation whose instance is gone, unless it has ended: the caller is the one that ended it when it answers its fields. */
  private static final String TAKE_OVER = """
      if redis.call('HEXISTS', KEYS[1], 'id') == 0 or redis.call('HEXISTS', KEYS[1], 'state') == 1 then return {} end
      redis.call('HSET', KEYS[1], 'state', 'interrupted', 'error', ARGV[2], 'endedAt', ARGV[3],
        'promptTokens', '-1', 'completionTokens', '-1')
      local first = redis.call('HGET', KEYS[1], 'firstChunkAt')
      if first then redis.call('HSET', KEYS[1], 'endFirstChunkAt', first) end
      redis.call('EXPIRE', KEYS[1], ARGV[1])
      redis.call('EXPIRE', KEYS[2], ARGV[1])
      local flat = redis.call('HGETALL', KEYS[1])
      local fields = {}
      for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
      redis.call('PUBLISH', ARGV[4], cjson.encode({i = ARGV[5], g = fields['id'], ['end'] = fields}))
      return flat""";
  private static final String READ = """
      return {redis.call('HGETALL', KEYS[1]), redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2])}""";

  private final Redis redis;
  private final RedisKeys keys;
  private final String instance;
  private final int finishedTtlSeconds;
  private final Map<String, Live> running = new ConcurrentHashMap<>();
  /** What the other instances write, as last read. */
  private volatile Map<String, Remote> others = Map.of();
  private Vertx watcher;
  private volatile boolean closing;
  private Consumer<GenerationStatus> onTakenOver = s -> { };
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

    Live(GenerationInfo info, long lastSeq, long firstChunkAt) {
      this.info = info;
      this.lastSeq = lastSeq;
      this.firstChunkAt = firstChunkAt;
    }

    GenerationStatus status(GenerationEnd end) {
      return new GenerationStatus(info, lastSeq, firstChunkAt, lastChunkAt, end);
    }
  }

  public RedisStreamStore(Redis redis, RedisKeys keys, String instance, int finishedTtlSeconds) {
    this.redis = redis;
    this.keys = keys;
    this.instance = instance;
    this.finishedTtlSeconds = finishedTtlSeconds;
  }

  private Future<Response> send(Request request) {
    return redis.send(request).timeout(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private Future<Response> eval(String script, String id, Object... args) {
    Request r = Request.cmd(Command.EVAL).arg(script).arg(2).arg(keys.info(id)).arg(keys.log(id));
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
        last, now, RUNNING_TTL_SECONDS, keys.events(), head)
        .map(ok -> {
          if (live.firstChunkAt == 0) live.firstChunkAt = now;
          live.lastChunkAt = now;
          live.lastSeq = last;
          return last;
        });
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
    infoFieldsAsArgs(RedisRecords.endFields(withFirst, live.lastSeq), args);
    return writeEnd(generationId, args.toArray(), System.currentTimeMillis() + END_RETRY_MS)
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
      boolean refused = err.getMessage() != null
          && (err.getMessage().contains("no such generation") || err.getMessage().contains("already ended"));
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
   * Reads what the other instances are writing every {@code periodMs}, so {@link #running()} (the
   * admin list, the limits) covers the whole service.
   */
  public void watch(Vertx vertx, long periodMs) {
    watcher = vertx;
    watchTimer = vertx.setPeriodic(0, periodMs, t -> renewLease().onComplete(v -> readOthers()));
  }

  /**
   * Called with each generation this instance ended because its own instance had died (its lease
   * ran out): it ends {@code interrupted} with every chunk that instance logged.
   */
  public void onTakenOver(Consumer<GenerationStatus> handler) {
    this.onTakenOver = handler;
  }

  private Future<Void> renewLease() {
    return send(Request.cmd(Command.SET).arg(keys.lease(instance)).arg(instance).arg("PX").arg(LEASE_MS))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  /** Ends what a dead instance was writing; then forgets the instance. */
  private Future<Void> takeOver(String dead, Response generationIds) {
    List<Future<Void>> ends = new ArrayList<>();
    for (Response gid : generationIds) {
      String id = gid.toString();
      // Published in the dead instance's name, so this instance's feeds hear the end too.
      ends.add(eval(TAKE_OVER, id, finishedTtlSeconds, GONE, System.currentTimeMillis(), keys.events(), dead)
          .compose(r -> {
            GenerationStatus s = RedisRecords.status(fields(r));
            if (s != null) {
              LOG.info("generation {} of instance {} (gone) ended interrupted here after {} chunks", id, dead, s.lastSeq());
              onTakenOver.accept(s);
            }
            return send(Request.cmd(Command.SREM).arg(keys.running(dead)).arg(id)).<Void>mapEmpty();
          }));
    }
    return Future.all(ends).compose(v -> send(Request.cmd(Command.SREM).arg(keys.instances()).arg(dead))).mapEmpty();
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
            takeOver(names.get(i), members.get(i)).onFailure(err ->
                LOG.warn("the answers of a gone instance could not be ended: {}", err.toString()));
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

  /** Ends as interrupted what this instance's last process left running (never another instance's). */
  @Override
  public Future<List<GenerationStatus>> recover() {
    return renewLease().compose(v -> send(Request.cmd(Command.SADD).arg(keys.instances()).arg(instance)))
        .compose(v -> send(Request.cmd(Command.SMEMBERS).arg(keys.running(instance)))).compose(members -> {
      List<Future<GenerationStatus>> ends = new ArrayList<>();
      for (Response m : members) ends.add(interrupt(m.toString()));
      return Future.all(ends).map(all -> {
        List<GenerationStatus> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (all.resultAt(i) != null) out.add(all.resultAt(i));
        if (!out.isEmpty()) LOG.info("marked {} generation(s) interrupted by the last shutdown", out.size());
        return out;
      });
    });
  }

  private Future<GenerationStatus> interrupt(String id) {
    return send(Request.cmd(Command.HGETALL).arg(keys.info(id))).compose(r -> {
      GenerationStatus s = RedisRecords.status(fields(r));
      if (s == null || s.ended()) {
        return send(Request.cmd(Command.SREM).arg(keys.running(instance)).arg(id)).map(v -> (GenerationStatus) null);
      }
      running.put(id, new Live(s.info(), s.lastSeq(), s.firstChunkAt()));
      return finish(id, new GenerationEnd(GenerationState.INTERRUPTED,
          "The server stopped while this answer was being written.", null, Usage.UNKNOWN, System.currentTimeMillis(), 0));
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
    return Future.join(ends).eventually(redis::close).mapEmpty();
  }
}
