package dev.streamchat.chat;

import dev.streamchat.app.Config;
import dev.streamchat.stream.Pressure;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a new answer may start, by the measured pressure on the live path: once either bound
 * ({@link Config.Admit}) has been passed for {@value #PRESSED_MS} ms, new answers are refused with a
 * 429 until both readings are below half their bound for {@value #CALM_MS} ms (hysteresis, so
 * admission does not flap at the edge). A short stall (a garbage collection, the class loading and
 * compiling of a fresh start) is not load and refuses nothing.
 * Running answers and viewers are never refused here. Thread-safe: every event loop asks.
 */
public final class Admission {

  private static final Logger LOG = LoggerFactory.getLogger(Admission.class);
  static final long CALM_MS = 1000;
  static final long PRESSED_MS = 500;
  private static final int MIN_RETRY_S = 2;
  private static final int MAX_RETRY_S = 30;

  private final Config.Admit bounds;
  private final Supplier<Pressure.Reading> gauge;
  private final LongSupplier clockMs;
  private boolean refusing;
  /** While admitting: since when a reading has been past its bound, or -1. */
  private long pressedSince = -1;
  /** While refusing: since when both readings have been below half their bounds, or -1. */
  private long calmSince = -1;
  private Pressure.Reading last = new Pressure.Reading(0, 0);
  private final AtomicLong refused = new AtomicLong();

  public Admission(Config.Admit bounds, Supplier<Pressure.Reading> gauge) {
    this(bounds, gauge, System::currentTimeMillis);
  }

  Admission(Config.Admit bounds, Supplier<Pressure.Reading> gauge, LongSupplier clockMs) {
    this.bounds = bounds;
    this.gauge = gauge;
    this.clockMs = clockMs;
  }

  /** Admits everything: for callers with no live path to protect (tests of other parts). */
  public static Admission open() {
    return new Admission(new Config.Admit(Integer.MAX_VALUE, Long.MAX_VALUE), () -> new Pressure.Reading(0, 0));
  }

  /** Throws a 429 {@link Problem} when new answers are being refused. */
  public void admit() {
    int retry;
    synchronized (this) {
      update();
      if (!refusing) return;
      retry = retryAfterSeconds(last);
    }
    refused.incrementAndGet();
    throw Problem.tooMany("The server is too busy to start another answer right now; try again in "
        + retry + " s.", retry);
  }

  /** Takes a reading and moves between admitting and refusing; also called periodically, so a change is logged without requests. */
  public synchronized void update() {
    Pressure.Reading r = gauge.get();
    last = r;
    double over = over(r);
    if (!refusing) {
      if (over <= 1) {
        pressedSince = -1;
        return;
      }
      long now = clockMs.getAsLong();
      if (pressedSince < 0) pressedSince = now;
      if (now - pressedSince >= PRESSED_MS) {
        refusing = true;
        pressedSince = -1;
        calmSince = -1;
        LOG.info("admission: refusing new answers: event loops {} ms late (bound {} ms), {} bytes pending (bound {})",
            fmt(r.loopDelayMs()), bounds.maxLoopDelayMs(), r.pendingBytes(), bounds.maxPendingBytes());
      }
      return;
    }
    if (over >= 0.5) {
      calmSince = -1;
      return;
    }
    long now = clockMs.getAsLong();
    if (calmSince < 0) calmSince = now;
    if (now - calmSince >= CALM_MS) {
      refusing = false;
      LOG.info("admission: admitting new answers again: event loops {} ms late, {} bytes pending",
          fmt(r.loopDelayMs()), r.pendingBytes());
    }
  }

  public synchronized boolean refusing() {
    return refusing;
  }

  /** The reading the last decision was taken on. */
  public synchronized Pressure.Reading lastReading() {
    return last;
  }

  /** New answers refused for pressure since the start. */
  public long refused() {
    return refused.get();
  }

  /** How far past its bound the worse reading is (1 = at the bound). */
  private double over(Pressure.Reading r) {
    return Math.max(r.loopDelayMs() / bounds.maxLoopDelayMs(), (double) r.pendingBytes() / bounds.maxPendingBytes());
  }

  /**
   * Two seconds at the bound, more the further past it (four at twice), at most thirty: the
   * harder the server is pressed, the longer it takes to come below half the bounds again.
   */
  private int retryAfterSeconds(Pressure.Reading r) {
    return (int) Math.min(MAX_RETRY_S, Math.round(MIN_RETRY_S * Math.max(1, over(r))));
  }

  private static String fmt(double ms) {
    return String.format(Locale.ROOT, "%.1f", ms);
  }
}
