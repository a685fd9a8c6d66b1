package dev.streamchat.auth;

import dev.streamchat.chat.Problem;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slows password guessing: at most {@value #PER_ACCOUNT} failed sign-ins per account and
 * {@value #PER_ADDRESS} per address in any {@value #WINDOW_MINUTES} minutes; beyond that every
 * attempt is refused with 429 and {@code Retry-After} (seconds until the oldest failure leaves
 * the window) before any password is checked. A success clears the account's count. In memory,
 * per process.
 */
final class LoginThrottle {

  private static final Logger LOG = LoggerFactory.getLogger(LoginThrottle.class);
  static final int PER_ACCOUNT = 5;
  static final int PER_ADDRESS = 20;
  static final int WINDOW_MINUTES = 15;
  private static final long WINDOW_MS = WINDOW_MINUTES * 60_000L;
  private static final int MAX_KEYS = 100_000;

  private final Map<String, Deque<Long>> failures = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  LoginThrottle() {
    this(System::currentTimeMillis);
  }

  LoginThrottle(LongSupplier clock) {
    this.clock = clock;
  }

  /** Refuses the attempt when the account or the address has failed too often lately. */
  void check(String username, String address) {
    long now = clock.getAsLong();
    long wait = Math.max(waitMs("user:" + username, PER_ACCOUNT, now), waitMs("addr:" + address, PER_ADDRESS, now));
    if (wait > 0) {
      int seconds = (int) Math.max(1, (wait + 999) / 1000);
      LOG.warn("sign-in throttled for user '{}' from {}: too many wrong passwords, retry in {} s", username, address, seconds);
      throw Problem.tooMany("Too many failed sign-ins. Try again in " + seconds + " s.", seconds);
    }
  }

  void failed(String username, String address) {
    long now = clock.getAsLong();
    record("user:" + username, now);
    record("addr:" + address, now);
    LOG.info("failed sign-in for user '{}' from {}", username, address);
  }

  void succeeded(String username) {
    failures.remove("user:" + username);
  }

  private long waitMs(String key, int limit, long now) {
    Deque<Long> times = failures.get(key);
    if (times == null) return 0;
    synchronized (times) {
      while (!times.isEmpty() && times.peekFirst() <= now - WINDOW_MS) times.pollFirst();
      return times.size() >= limit ? times.peekFirst() + WINDOW_MS - now : 0;
    }
  }

  private void record(String key, long now) {
    if (failures.size() > MAX_KEYS) {
      failures.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return e.getValue().isEmpty() || e.getValue().peekLast() <= now - WINDOW_MS;
        }
      });
    }
    Deque<Long> times = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (times) {
      times.addLast(now);
      // Only the newest failures up to the larger limit matter.
      while (times.size() > PER_ADDRESS) times.pollFirst();
    }
  }
}
