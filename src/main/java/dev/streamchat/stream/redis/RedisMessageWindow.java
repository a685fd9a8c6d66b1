package dev.streamchat.stream.redis;

import dev.streamchat.auth.Secrets;
import dev.streamchat.chat.Problem;
import dev.streamchat.chat.Quotas;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * The message window of a service: a sorted set per session of the last minute's messages,
 * trimmed, counted and added to in one script, so two instances never both admit the last one.
 */
public final class RedisMessageWindow implements Quotas.MessageWindow {

  private static final String ADMIT = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - 60000)
      if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
        return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
      end
      redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
      redis.call('PEXPIRE', KEYS[1], 60000)
      return '-1'""";

  private final Redis redis;
  private final RedisKeys keys;

  public RedisMessageWindow(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  @Override
  public Future<Long> admit(String owner, long now, int limit) {
    return redis.send(Request.cmd(Command.EVAL).arg(ADMIT).arg(1).arg(keys.messages(owner))
            .arg(now).arg(limit).arg(now + ":" + Secrets.random()))
        .map(r -> (long) Double.parseDouble(r.toString()))
        .recover(unreachable -> Future.failedFuture(new Problem(503,
            "The server could not store the answer: its shared store is unavailable. Try again shortly.")));
  }
}
