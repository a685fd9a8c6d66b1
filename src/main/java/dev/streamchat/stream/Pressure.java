package dev.streamchat.stream;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.shareddata.Shareable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * How hard the live path of this process is pressed, measured where it hurts:
 * <ul>
 *   <li><b>event-loop delay</b>: every event loop runs a timer of its own every {@value #TICK_MS}
 *       ms and measures how late it ran, which is how long every token written on that loop waits
 *       too; smoothed per loop (EWMA over about 100 ms), and a loop that is stuck right now (its
 *       timer overdue by more than {@value #STUCK_MS} ms) counts for as long as it is stuck. The
 *       reading is the worst loop.
 *   <li><b>pending bytes</b>: answer text the journal writers hold and the journal has not yet made
 *       durable (characters, counted as bytes). It grows when the journal falls behind the models.
 * </ul>
 * One per Vert.x instance ({@link #of(Vertx)}); {@link #start()} starts the timers.
 */
public final class Pressure implements Shareable {

  static final long TICK_MS = 20;
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MS);
  /** Weight of the newest sample: the average follows a change within about five ticks. */
  private static final double ALPHA = 0.2;
  static final long STUCK_MS = 250;
  private static final long STUCK_NANOS = TimeUnit.MILLISECONDS.toNanos(STUCK_MS);
  private static final String MAP = "streamchat.pressure";
  private static final String KEY = "pressure";

  /** Worst event-loop delay now, in milliseconds, and the text pending in the live path, in bytes. */
  public record Reading(double loopDelayMs, long pendingBytes) {
  }

  private final LongAdder journalBacklog = new LongAdder();
  private final List<LongSupplier> pendingSources = new CopyOnWriteArrayList<>();
  private final List<Loop> loops = new ArrayList<>();
  private volatile boolean started;

  private Pressure(Vertx vertx) {
    pendingSources.add(journalBacklog::sum);
    for (EventExecutor executor : ((VertxInternal) vertx).nettyEventLoopGroup()) loops.add(new Loop(executor));
  }

  /** The gauge of this Vert.x instance (made on first use; its timers run once {@link #start() started}). */
  public static Pressure of(Vertx vertx) {
    var map = vertx.sharedData().<String, Pressure>getLocalMap(MAP);
    Pressure known = map.get(KEY);
    if (known != null) return known;
    Pressure made = new Pressure(vertx);
    Pressure there = map.putIfAbsent(KEY, made);
    return there == null ? made : there;
  }

  /** Starts a timer on every event loop of the instance; once is enough, later calls do nothing. */
  public synchronized Pressure start() {
    if (started) return this;
    started = true;
    for (Loop loop : loops) loop.schedule();
    return this;
  }

  /** The gauge of one event loop of the instance ({@code null} for a thread that is none of them). */
  public Loop loop(EventExecutor executor) {
    for (Loop loop : loops) {
      if (loop.executor == executor) return loop;
    }
    return null;
  }

  /** The text journal writers hold, not yet durable: they add what they take and remove what is written. */
  LongAdder journalBacklog() {
    return journalBacklog;
  }

  /**
   * Counts {@code source} in the pending bytes too: another place where the live path holds
   * bytes (tests use it to hold a known amount).
   */
  public void addPendingSource(LongSupplier source) {
    pendingSources.add(source);
  }

  public Reading reading() {
    return new Reading(loopDelayMs(), pendingBytes());
  }

  /** The worst loop's delay, in milliseconds (0 before {@link #start()}). */
  public double loopDelayMs() {
    long now = System.nanoTime();
    double worst = 0;
    for (Loop loop : loops) worst = Math.max(worst, loop.delayNanos(now));
    return worst / 1e6;
  }

  public long pendingBytes() {
    long sum = 0;
    for (LongSupplier s : pendingSources) sum += s.getAsLong();
    return Math.max(0, sum);
  }

  /** One event loop's timer: rescheduled from its own run, so a busy loop delays the next one too. */
  public static final class Loop implements Runnable {
    private final EventExecutor executor;
    /** When the timer should run next; 0 until it is started. */
    private volatile long due;
    private volatile double averageNanos;

    Loop(EventExecutor executor) {
      this.executor = executor;
    }

    void schedule() {
      if (executor.isShuttingDown()) return;
      due = System.nanoTime() + TICK_NANOS;
      try {
        executor.schedule(this, TICK_NANOS, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        // Vert.x is closing: the loop is going away with its timer.
      }
    }

    @Override
    public void run() {
      long late = Math.max(0, System.nanoTime() - due);
      averageNanos += ALPHA * (late - averageNanos);
      schedule();
    }

    /**
     * The smoothed delay; a loop whose timer is overdue by more than {@value #STUCK_MS} ms is
     * stuck, and that shows now, not once it runs again (one slow turn is left to the average).
     */
    double delayNanos(long now) {
      long due = this.due;
      if (due == 0) return 0;
      long overdue = now - due;
      return overdue > STUCK_NANOS ? Math.max(averageNanos, overdue) : averageNanos;
    }

    /** This loop's delay now, in milliseconds (0 before {@link Pressure#start()}). */
    public double delayMs() {
      return delayNanos(System.nanoTime()) / 1e6;
    }
  }
}
