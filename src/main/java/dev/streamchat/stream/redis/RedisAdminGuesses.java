package dev.streamchat.stream.redis;

import dev.streamchat.auth.Secrets;
import dev.streamchat.ops.AdminAccess;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * Wrong admin tokens of a service: a sorted set per address of the last minute's, so an address
 * guessing through a round-robin balancer is locked out after as many guesses as on one instance.
 */
public final class RedisAdminGuesses implements AdminAccess.Guesses {

  private static final long WINDOW_MS = 60_000;

  private static final String ADD = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[3])
      redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1""";

  private static final String OLDEST = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[3])
      if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then return '-1' end
      return redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]""";

  private final Redis redis;
  private final RedisKeys keys;

  public RedisAdminGuesses(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  @Override
  public Future<Void> add(String address, long now) {
    return redis.send(Request.cmd(Command.EVAL).arg(ADD).arg(1).arg(keys.adminGuesses(address))
        .arg(now).arg(now + ":" + Secrets.random()).arg(WINDOW_MS)).mapEmpty();
  }

  @Override
  public Future<Long> oldest(String address, long now, int limit) {
    return redis.send(Request.cmd(Command.EVAL).arg(OLDEST).arg(1).arg(keys.adminGuesses(address))
        .arg(now).arg(limit).arg(WINDOW_MS)).map(r -> (long) Double.parseDouble(r.toString()));
  }
}
