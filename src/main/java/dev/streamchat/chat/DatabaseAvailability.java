package dev.streamchat.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails fast while the database is away. The first call that times out or loses its connection
 * marks the database down; from then on every call is refused at once with a 503 (no request
 * waits, no worker thread is spent on a dead host) while one probe at a time checks whether it
 * is back, every {@value #PROBE_MS} ms. The first probe that succeeds brings it back up.
 */
public final class DatabaseAvailability {

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseAvailability.class);
  static final long PROBE_MS = 250;
  /** Retry-After of a refusal: about how long an outage takes to notice it has ended. */
  static final int RETRY_AFTER_SECONDS = 2;
  static final String UNAVAILABLE = "The database is not answering right now; try again in a moment.";
  /** H2's codes for a database that closed itself (after a failed write) or a failed file operation. */
  private static final Set<Integer> H2_CLOSED = Set.of(90098, 90121, 90028, 90031);

  private final Vertx vertx;
  private final long deadlineMs;
  private final Supplier<Future<Void>> probe;
  private final Runnable onDown;
  private volatile long downSince;
  private volatile boolean down;
  private long probeTimer = -1;
  private boolean probing;

  /**
   * @param deadlineMs how long one call may take before it counts as lost
   * @param probe a trivial query that bypasses this guard
   * @param onDown what to do once when the database goes down (drop the pool's connections)
   */
  public DatabaseAvailability(Vertx vertx, long deadlineMs, Supplier<Future<Void>> probe, Runnable onDown) {
    this.vertx = vertx;
    this.deadlineMs = deadlineMs;
    this.probe = probe;
    this.onDown = onDown;
  }

  public boolean isDown() {
    return down;
  }

  public long deadlineMs() {
    return deadlineMs;
  }

  /** Runs a database call within the deadline; refused at once while the database is down. */
  public <T> Future<T> call(Supplier<Future<T>> work) {
    if (down) return Future.failedFuture(refusal());
    Future<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    return running.timeout(deadlineMs, TimeUnit.MILLISECONDS).recover(err -> {
      if (!isOutage(err)) return Future.failedFuture(err);
      markDown(err);
      return Future.failedFuture(refusal());
    });
  }

  private static Problem refusal() {
    return Problem.unavailable(UNAVAILABLE, RETRY_AFTER_SECONDS);
  }

  /** A timeout or a lost, refused or closed connection, as opposed to a refused statement. */
  public static boolean isOutage(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException || t instanceof IOException) return true;
      if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
          || t instanceof SQLRecoverableException || t instanceof SQLTimeoutException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) return true;
        if (H2_CLOSED.contains(sql.getErrorCode())) return true;
      }
      if (t.getCause() == t) break;
    }
    return false;
  }

  private synchronized void markDown(Throwable why) {
    if (down) return;
    downSince = System.nanoTime();
    down = true;
    LOG.warn("database unavailable ({}); refusing database calls with 503 until it answers again", why.toString());
    try {
      onDown.run();
    } catch (RuntimeException e) {
      LOG.warn("could not drop the database connections: {}", e.toString());
    }
    probeTimer = vertx.setPeriodic(PROBE_MS, id -> probeOnce());
  }

  private synchronized void probeOnce() {
    if (probing || !down) return;
    probing = true;
    Future<Void> attempt;
    try {
      attempt = probe.get();
    } catch (RuntimeException e) {
      attempt = Future.failedFuture(e);
    }
    attempt.timeout(deadlineMs, TimeUnit.MILLISECONDS).onComplete(ar -> {
      synchronized (this) {
        probing = false;
        if (ar.succeeded() && down) {
          down = false;
          vertx.cancelTimer(probeTimer);
          LOG.info("database is back after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSince));
        }
      }
    });
  }
}
