package dev.streamchat.chat;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * Runs every store's JDBC work (chats and accounts alike) on the one database worker pool, never
 * on an event loop, and within a deadline: a call that waited in the queue past it is dropped
 * before it takes a connection (its caller has been answered already), and while the database is
 * away every call fails fast with a 503 ({@link DatabaseAvailability}) instead of queueing behind
 * a dead host. It also keeps an embedded database's file compact ({@link H2Compaction}).
 */
public final class DatabaseRunner {

  /** JDBC work, given a connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource ds;
  /** One bounded pool of database threads for every store. */
  private final WorkerExecutor executor;
  /** Queries under way: closing waits for them, since interrupting H2 mid-write breaks its file. */
  private final Set<Future<?>> inFlight = ConcurrentHashMap.newKeySet();
  private final DatabaseAvailability availability;
  private final Vertx vertx;
  /** The timer that keeps an embedded database's file compact; -1 for PostgreSQL. */
  private final long compaction;
  private final AtomicBoolean compacting = new AtomicBoolean();

  /** {@code deadlineMs}: how long one call may take before the database counts as away. */
  public DatabaseRunner(Vertx vertx, DataSource ds, long deadlineMs) {
    this.ds = ds;
    this.vertx = vertx;
    this.executor = vertx.createSharedWorkerExecutor("streamchat-db", 8);
    DataSource direct = unpooled(ds);
    this.availability = new DatabaseAvailability(vertx, deadlineMs,
        () -> executor.executeBlocking(() -> {
          try (Connection c = direct.getConnection()) {
            return selectOne(c);
          }
        }, false),
        this::dropConnections);
    this.compaction = H2Compaction.isEmbeddedH2(ds) ? vertx.setPeriodic(H2Compaction.CHECK_MS, id -> {
      if (!availability.isDown() && compacting.compareAndSet(false, true)) {
        executor.executeBlocking(() -> H2Compaction.compactIfSparse((HikariDataSource) ds, direct), false)
            .onComplete(done -> compacting.set(false));
      }
    }) : -1;
  }

  /**
   * Where the probe connects: straight through the driver, past the pool, whose connection
   * maker backs off for up to 10 s after failures and would hold the service down that long
   * after the database has returned. No one else asks the pool while the database is down.
   */
  private static DataSource unpooled(DataSource ds) {
    if (!(ds instanceof HikariDataSource pool) || pool.getJdbcUrl() == null) return ds;
    return new DriverDataSource(pool.getJdbcUrl(), pool.getDriverClassName(), pool.getDataSourceProperties(),
        pool.getUsername(), pool.getPassword());
  }

  /** Whether the database is marked away (calls are being refused until a probe gets through). */
  public DatabaseAvailability availability() {
    return availability;
  }

  /** Runs the work on a pooled connection; a 503 {@link Problem} while the database is away. */
  public <T> Future<T> call(Work<T> work) {
    return availability.call(() -> unguarded(work));
  }

  private <T> Future<T> unguarded(Work<T> work) {
    long queuedAt = System.nanoTime();
    Callable<T> task = () -> {
      // Waited in the queue past the deadline: the caller has been answered already.
      if (System.nanoTime() - queuedAt > TimeUnit.MILLISECONDS.toNanos(availability.deadlineMs())) {
        throw new SQLTransientConnectionException("no database worker within the deadline");
      }
      try (Connection c = ds.getConnection()) {
        try {
          return work.run(c);
        } catch (SQLException e) {
          // A connection that lost its server (or an H2 that closed itself) is never lent again.
          if (DatabaseAvailability.isOutage(e) && ds instanceof HikariDataSource pool) pool.evictConnection(c);
          throw e;
        }
      }
    };
    Future<T> running = executor.executeBlocking(task, false);
    inFlight.add(running);
    running.onComplete(done -> inFlight.remove(running));
    return running;
  }

  /** The database went away: every pooled connection may be dead, so none is lent again. */
  private void dropConnections() {
    if (ds instanceof HikariDataSource pool && pool.getHikariPoolMXBean() != null) {
      pool.getHikariPoolMXBean().softEvictConnections();
    }
  }

  /** A round trip to the database. */
  public Future<Void> ping() {
    return call(DatabaseRunner::selectOne);
  }

  private static Void selectOne(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1"); ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) throw new SQLException("SELECT 1 returned no row");
    }
    return null;
  }

  /** Stops the compaction and lets the queries under way finish (for up to 10 s); the data source stays open. */
  public Future<Void> close() {
    if (compaction >= 0) vertx.cancelTimer(compaction);
    return Future.join(List.copyOf(inFlight)).timeout(10, TimeUnit.SECONDS).transform(settled -> executor.close());
  }
}
