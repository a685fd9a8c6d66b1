package dev.streamchat.stream.redis;

import dev.streamchat.ops.AdminAccess;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/** Admin sessions of a service: one expiring key per session digest, so a login holds on every instance. */
public final class RedisAdminSessions implements AdminAccess.Sessions {

  private final Redis redis;
  private final RedisKeys keys;

  public RedisAdminSessions(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.keys = keys;
  }

  @Override
  public Future<Void> open(String idDigest, long seconds) {
    return redis.send(Request.cmd(Command.SET).arg(keys.adminSession(idDigest)).arg("1").arg("EX").arg(seconds)).mapEmpty();
  }

  @Override
  public Future<Boolean> isOpen(String idDigest) {
    return redis.send(Request.cmd(Command.EXISTS).arg(keys.adminSession(idDigest))).map(r -> r.toInteger() == 1);
  }

  @Override
  public Future<Void> close(String idDigest) {
    return redis.send(Request.cmd(Command.DEL).arg(keys.adminSession(idDigest))).mapEmpty();
  }
}
