package dev.streamchat.stream.redis;

import dev.streamchat.auth.Secrets;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.Base64;

/**
 * Secrets every instance of a service must agree on (the CSRF key, the generated admin token),
 * made once by whichever instance asks first and read by every other from Redis.
 */
public final class SharedSecrets {

  private final Redis redis;
  private final String key;

  public SharedSecrets(Redis redis, RedisKeys keys) {
    this.redis = redis;
    this.key = keys.prefix() + ":secrets";
  }

  /** The service's value of {@code name}: the one in Redis, or a fresh random one put there now. */
  public Future<String> get(String name) {
    return redis.send(Request.cmd(Command.HSETNX).arg(key).arg(name).arg(Secrets.random()))
        .compose(set -> redis.send(Request.cmd(Command.HGET).arg(key).arg(name)))
        .map(value -> value.toString());
  }

  /** 32 random bytes shared by the service (a MAC key). */
  public Future<byte[]> key(String name) {
    return get(name).map(v -> Base64.getUrlDecoder().decode(v));
  }
}
