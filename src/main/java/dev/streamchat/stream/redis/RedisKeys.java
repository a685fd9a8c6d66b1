package dev.streamchat.stream.redis;

/**
 * The names of a service's keys and channels in Redis, all under one prefix. A generation's keys
 * share the hash tag {@code {gid}}, so on Redis Cluster they sit in one slot and one script may
 * touch them together.
 */
public record RedisKeys(String prefix) {

  String info(String generationId) {
    return prefix + ":{" + generationId + "}:info";
  }

  String log(String generationId) {
    return prefix + ":{" + generationId + "}:log";
  }

  /** What a generation's model was asked (its turns and length bound), so another instance can continue it. */
  String request(String generationId) {
    return prefix + ":{" + generationId + "}:request";
  }

  /** The set of generations an instance is writing. */
  String running(String instance) {
    return prefix + ":instance:{" + instance + "}:running";
  }

  /** The sorted set of a session's messages in the last minute. */
  String messages(String owner) {
    return prefix + ":messages:{" + owner + "}";
  }

  /** An admin session, by the digest of its id. */
  String adminSession(String idDigest) {
    return prefix + ":admin-session:" + idDigest;
  }

  /** The sorted set of an address's wrong admin tokens in the last minute. */
  String adminGuesses(String address) {
    return prefix + ":admin-guesses:" + address;
  }

  /** An instance's lease: it exists while the instance lives. */
  String lease(String instance) {
    return prefix + ":instance:{" + instance + "}:lease";
  }

  /** The set of every instance's name. */
  String instances() {
    return prefix + ":instances";
  }

  /** The channel every instance hears live events on. */
  String events() {
    return prefix + ":events";
  }

  /**
   * The channel every instance hears whether filters hold text of a generation back on. It is
   * not {@link #events()}: an instance of an earlier release takes every message there for chunks
   * or an end, and would log each of these as unreadable; here it never hears them.
   */
  String held() {
    return prefix + ":held";
  }

  /** The channel only {@code instance} hears: generation ids to stop. */
  String stops(String instance) {
    return prefix + ":stop:" + instance;
  }
}
