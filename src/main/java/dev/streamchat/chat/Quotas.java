package dev.streamchat.chat;

import dev.streamchat.app.Config;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.Generations;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The per-session and global bounds of this process: messages per minute, generations running
 * at once, open event streams. Shared by every event loop, so all of it is thread-safe. Beyond a
 * bound the answer is a {@link Problem} 429 with {@code Retry-After}. Alone, counts are this
 * process's; in a service of instances, the message window and the running generations are the
 * service's (open event streams are still counted per instance). A new answer must also pass
 * {@link Admission}, which refuses by measured pressure below the fixed count.
 */
public final class Quotas {

  private static final long MINUTE_MS = 60_000;

  private final Config.Limits limits;
  private final Generations generations;
  private final LongSupplier clock;
  private final MessageWindow window;
  private final Admission admission;
  private final Map<String, Integer> starting = new ConcurrentHashMap<>();
  private final AtomicInteger startingInAll = new AtomicInteger();
  private final Map<String, Integer> viewers = new ConcurrentHashMap<>();

  /** Fixed bounds alone, no admission by pressure. */
  public Quotas(Config.Limits limits, Generations generations) {
    this(limits, generations, new LocalWindow(), Admission.open());
  }

  /** Limits whose message window is {@code window} (shared by the instances of a service). */
  public Quotas(Config.Limits limits, Generations generations, MessageWindow window, Admission admission) {
    this(limits, generations, System::currentTimeMillis, window, admission);
  }

  /** Limits of this process alone. */
  public Quotas(Config.Limits limits, Generations generations, Admission admission) {
    this(limits, generations, new LocalWindow(), admission);
  }

  Quotas(Config.Limits limits, Generations generations, LongSupplier clock, MessageWindow window,
      Admission admission) {
    this.limits = limits;
    this.generations = generations;
    this.clock = clock;
    this.window = window;
    this.admission = admission;
  }

  public Config.Limits limits() {
    return limits;
  }

  public Admission admission() {
    return admission;
  }

  /**
   * Counts one message of the session, or fails with a 429 {@link Problem} when the last minute
   * had enough: in this process, or in the whole service when the window is shared.
   */
  public Future<Void> countMessage(String owner) {
    long now = clock.getAsLong();
    return window.admit(owner, now, limits.messagesPerMinute()).compose(oldest -> {
      if (oldest < 0) return Future.succeededFuture();
      long wait = oldest + MINUTE_MS - now;
      return Future.failedFuture(Problem.tooMany("Too many messages: at most " + limits.messagesPerMinute()
          + " a minute. Try again in " + seconds(wait) + " s.", seconds(wait)));
    });
  }

  /**
   * The messages of the last minute, per session. {@code admit} counts one at {@code now} and
   * answers -1, or, when {@code limit} were sent in the minute before it, counts nothing and
   * answers the time of the oldest of them.
   */
  public interface MessageWindow {
    Future<Long> admit(String owner, long now, int limit);
  }

  /** The window of this process alone. */
  static final class LocalWindow implements MessageWindow {
    private final Map<String, Deque<Long>> recentMessages = new ConcurrentHashMap<>();

    @Override
    public Future<Long> admit(String owner, long now, int limit) {
      Deque<Long> times = recentMessages.computeIfAbsent(owner, k -> new ArrayDeque<>());
      long refusedSince = -1;
      synchronized (times) {
        while (!times.isEmpty() && times.peekFirst() <= now - MINUTE_MS) times.pollFirst();
        if (times.size() >= limit) refusedSince = times.peekFirst();
        else times.addLast(now);
      }
      // Forget idle sessions so the map does not grow with every visitor ever seen.
      if (recentMessages.size() > 10_000) recentMessages.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return e.getValue().isEmpty() || e.getValue().peekLast() <= now - MINUTE_MS;
        }
      });
      return Future.succeededFuture(refusedSince);
    }
  }

  /**
   * Reserves a generation slot for the session, or refuses when it or the whole server has as
   * many running as allowed, or when the server is too pressed to start one more
   * ({@link Admission}). Call {@link Slot#release()} once the generation has started (it then
   * counts as running) or failed to.
   */
  public Slot reserveGeneration(String owner) {
    synchronized (this) {
      int runningMine = 0;
      int runningAll = 0;
      for (GenerationStatus log : generations.running()) {
        runningAll++;
        if (log.info().owner().equals(owner)) runningMine++;
      }
      if (runningMine + starting.getOrDefault(owner, 0) >= limits.generationsPerSession()) {
        throw Problem.tooMany("You have " + limits.generationsPerSession()
            + " answers being written already; wait for one to finish or stop one.", 5);
      }
      if (runningAll + startingInAll.get() >= limits.generationsInAll()) {
        throw Problem.tooMany("The server is writing as many answers as it can; try again shortly.", 5);
      }
      admission.admit();
      starting.merge(owner, 1, Integer::sum);
      startingInAll.incrementAndGet();
    }
    return () -> {
      synchronized (this) {
        starting.computeIfPresent(owner, (k, n) -> n <= 1 ? null : n - 1);
        startingInAll.decrementAndGet();
      }
    };
  }

  /** A reservation, released once. */
  @FunctionalInterface
  public interface Slot {
    void release();
  }

  /**
   * Admits one more viewer of a generation that already has {@code viewersOfGeneration}, or
   * refuses; the caller calls {@link Slot#release()} when the stream closes.
   */
  public Slot admitViewer(String owner, int viewersOfGeneration) {
    if (viewersOfGeneration >= limits.viewersPerGeneration()) {
      throw Problem.tooMany("This answer already has " + limits.viewersPerGeneration()
          + " viewers; close one and try again.", 5);
    }
    viewers.compute(owner, (k, n) -> {
      int open = n == null ? 0 : n;
      if (open >= limits.viewersPerSession()) {
        throw Problem.tooMany("This session has " + limits.viewersPerSession()
            + " event streams open; close one and try again.", 5);
      }
      return open + 1;
    });
    return () -> viewers.computeIfPresent(owner, (k, n) -> n <= 1 ? null : n - 1);
  }

  private static int seconds(long ms) {
    return (int) Math.max(1, (ms + 999) / 1000);
  }
}
