package dev.streamchat.ops;

import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the admin page, API and metrics: whoever knows the admin token. Programs send it as
 * a bearer token; people log in once and get a random admin-session id in a cookie, kept (as its
 * digest) in memory, or in Redis for a service of instances (so the cookie never holds the token,
 * and logout revokes it). Guessing is throttled per address: after a number of wrong tokens
 * within a minute, that address may present none (bearer or login form) until the oldest is a
 * minute old. A service of instances counts them in Redis too, so round robin gains a guesser
 * nothing; each instance's own count still holds while Redis is away.
 */
public final class AdminAccess {

  private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  public static final long SESSION_SECONDS = 12 * 3600;
  private static final int MAX_SESSIONS = 1_000;

  /** Token guesses one address may make in any minute before it must wait. */
  public static final int DEFAULT_ATTEMPTS_PER_MINUTE = 10;
  static final long WINDOW_MS = 60_000;
  /** Addresses whose failures are remembered at once; beyond it the stalest are forgotten. */
  private static final int MAX_ADDRESSES = 10_000;

  private final byte[] tokenDigest;
  private final Sessions sessions;
  /** The service's count of wrong tokens, or null for this process alone. */
  private final Guesses shared;
  private final int attemptsPerMinute;
  private final LongSupplier clock;
  /** Per address, the times of its wrong tokens within the last minute, oldest first. */
  private final Map<String, Deque<Long>> failures = new ConcurrentHashMap<>();

  AdminAccess(String token, int attemptsPerMinute, LongSupplier clock) {
    this(token, attemptsPerMinute, clock, new InMemory(), null);
  }

  private AdminAccess(String token, int attemptsPerMinute, LongSupplier clock, Sessions sessions, Guesses shared) {
    this.tokenDigest = sha256(token);
    this.attemptsPerMinute = attemptsPerMinute;
    this.clock = clock;
    this.sessions = sessions;
    this.shared = shared;
  }

  /** The configured token, or a random one that is logged once so the operator can use it. */
  public static AdminAccess from(Optional<String> configured) {
    return from(configured, DEFAULT_ATTEMPTS_PER_MINUTE);
  }

  /** As {@link #from(Optional)}, letting each address try {@code attemptsPerMinute} wrong tokens a minute. */
  public static AdminAccess from(Optional<String> configured, int attemptsPerMinute) {
    return from(configured, attemptsPerMinute, new InMemory(), null);
  }

  /**
   * As {@link #from(Optional, int)}, with admin sessions kept in {@code sessions} and, when not
   * null, wrong tokens counted across the service in {@code shared}.
   */
  public static AdminAccess from(Optional<String> configured, int attemptsPerMinute, Sessions sessions, Guesses shared) {
    if (configured.isPresent()) {
      return new AdminAccess(configured.get(), attemptsPerMinute, System::currentTimeMillis, sessions, shared);
    }
    String generated = randomId();
    LOG.warn("STREAMCHAT_ADMIN_TOKEN is not set; this run's admin token is {}", generated);
    return new AdminAccess(generated, attemptsPerMinute, System::currentTimeMillis, sessions, shared);
  }

  /**
   * As {@link #lockedSeconds}, counting every instance's wrong tokens in a service; when Redis
   * does not answer, this instance's own count decides.
   */
  public Future<Integer> lockedSecondsInService(String address) {
    int here = lockedSeconds(address);
    if (shared == null || here > 0) return Future.succeededFuture(here);
    long now = clock.getAsLong();
    return shared.oldest(address, now, attemptsPerMinute)
        .map(oldest -> oldest < 0 ? 0 : (int) Math.max(1, (oldest + WINDOW_MS - now + 999) / 1000))
        .otherwise(0);
  }

  /** As {@link #failedAttempt}, also counted for the service; completes once counted (or Redis did not answer). */
  public Future<Void> failedAttemptInService(String address) {
    failedAttempt(address);
    if (shared == null) return Future.succeededFuture();
    return shared.add(address, clock.getAsLong())
        .recover(err -> {
          LOG.warn("wrong admin token from {} not counted in Redis: {}", address, err.toString());
          return Future.succeededFuture();
        });
  }

  /**
   * Seconds {@code address} must wait before it may present a token again (0: it may now): it
   * gave {@code STREAMCHAT_ADMIN_ATTEMPTS_PER_MINUTE} wrong ones within the last minute.
   */
  public int lockedSeconds(String address) {
    Deque<Long> times = failures.get(address);
    if (times == null) return 0;
    synchronized (times) {
      long now = clock.getAsLong();
      while (!times.isEmpty() && times.peekFirst() <= now - WINDOW_MS) times.pollFirst();
      if (times.size() < attemptsPerMinute) return 0;
      return (int) Math.max(1, (times.peekFirst() + WINDOW_MS - now + 999) / 1000);
    }
  }

  /** Counts a wrong token from {@code address}; says so in the log when it locks the address out. */
  public void failedAttempt(String address) {
    if (failures.size() >= MAX_ADDRESSES && !failures.containsKey(address)) forgetStale();
    Deque<Long> times = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
    int count;
    synchronized (times) {
      times.addLast(clock.getAsLong());
      count = times.size();
    }
    if (count == 1) {
      LOG.warn("wrong admin token from {}", address);
    } else if (count == attemptsPerMinute) {
      LOG.warn("{} wrong admin tokens from {} within a minute; it must wait {} s before trying again",
          count, address, lockedSeconds(address));
    }
  }

  private void forgetStale() {
    long cutoff = clock.getAsLong() - WINDOW_MS;
    failures.values().removeIf(times -> {
      synchronized (times) {
        return times.isEmpty() || times.peekLast() <= cutoff;
      }
    });
    if (failures.size() >= MAX_ADDRESSES) failures.clear(); // a flood of addresses: start over
  }

  /** Compares digests in constant time, so neither the token nor its length leaks through timing. */
  public boolean isToken(String candidate) {
    return candidate != null && MessageDigest.isEqual(sha256(candidate), tokenDigest);
  }

  /** The value of an {@code Authorization} header carries the token. */
  public boolean isBearer(String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        && isToken(authorization.substring(7).strip());
  }

  /** Opens an admin session and answers its id, the cookie's value. */
  public Future<String> openSession() {
    String id = randomId();
    return sessions.open(sha256Hex(id), SESSION_SECONDS).map(v -> id);
  }

  public Future<Boolean> isSession(String id) {
    if (id == null || id.isEmpty()) return Future.succeededFuture(false);
    return sessions.isOpen(sha256Hex(id));
  }

  public Future<Void> closeSession(String id) {
    if (id == null || id.isEmpty()) return Future.succeededFuture();
    return sessions.close(sha256Hex(id));
  }

  /**
   * Where admin sessions are kept, by the SHA-256 of their id: in this process, or, for a service
   * of instances, where every instance finds them.
   */
  public interface Sessions {
    Future<Void> open(String idDigest, long seconds);

    Future<Boolean> isOpen(String idDigest);

    Future<Void> close(String idDigest);
  }

  /** Wrong admin tokens of the last minute per address, counted by every instance of a service. */
  public interface Guesses {
    /** Counts one wrong token from {@code address} at {@code now}. */
    Future<Void> add(String address, long now);

    /** The time of the oldest wrong token of the minute before {@code now} when there were {@code limit} or more, else -1. */
    Future<Long> oldest(String address, long now, int limit);
  }

  /** This process's admin sessions (a restart logs everyone out). */
  static final class InMemory implements Sessions {
    private final Map<String, Long> expiringAt = new ConcurrentHashMap<>();

    @Override
    public Future<Void> open(String idDigest, long seconds) {
      long now = System.currentTimeMillis();
      if (expiringAt.size() >= MAX_SESSIONS) expiringAt.values().removeIf(at -> at < now);
      if (expiringAt.size() >= MAX_SESSIONS) return Future.failedFuture(new IllegalStateException("too many admin sessions"));
      expiringAt.put(idDigest, now + seconds * 1000);
      return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> isOpen(String idDigest) {
      Long expiresAt = expiringAt.get(idDigest);
      if (expiresAt == null) return Future.succeededFuture(false);
      if (expiresAt > System.currentTimeMillis()) return Future.succeededFuture(true);
      expiringAt.remove(idDigest);
      return Future.succeededFuture(false);
    }

    @Override
    public Future<Void> close(String idDigest) {
      expiringAt.remove(idDigest);
      return Future.succeededFuture();
    }
  }

  private static String sha256Hex(String s) {
    return java.util.HexFormat.of().formatHex(sha256(s));
  }

  private static String randomId() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
