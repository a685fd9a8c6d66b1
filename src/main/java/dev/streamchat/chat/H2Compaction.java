package dev.streamchat.chat;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the embedded database's file within a small multiple of its data. H2 writes a chunk for
 * every commit (streamchat commits each message at once) and gives the space back only when it
 * compacts on close: a busy instance's file grew to 300 MB for 1 MB of text. Every
 * {@value #CHECK_MS} ms, when less than {@value #MIN_LIVE_PERCENT}% of a file over
 * {@value #MIN_FILE_BYTES} bytes is live, the pool is paused, the running calls are let finish,
 * and the database is closed with {@code SHUTDOWN COMPACT} (H2's own full compaction) and opened
 * again by the next call; calls meanwhile wait for a connection (a fraction of a second). H2's
 * online {@code MVStore.compactFile} was tried first: with commits under way it broke an
 * invariant of H2's free-space map (an AssertionError), so it is not used.
 */
final class H2Compaction {

  private static final Logger LOG = LoggerFactory.getLogger(H2Compaction.class);
  static final long CHECK_MS = 1_000;
  static final int MIN_LIVE_PERCENT = 25;
  static final long MIN_FILE_BYTES = 16L * 1024 * 1024;
  /** Live data above this would make the pause too long; H2 then compacts only on close. */
  static final long MAX_LIVE_BYTES = 64L * 1024 * 1024;
  private static final long DRAIN_MS = 1_000;

  private H2Compaction() {
  }

  static boolean isEmbeddedH2(DataSource ds) {
    return ds instanceof HikariDataSource pool && pool.getJdbcUrl() != null && pool.getJdbcUrl().startsWith("jdbc:h2:");
  }

  /** The compaction writes the live data to a new file first: never on a nearly full disk. */
  private static boolean roomFor(HikariDataSource pool, long liveBytes) {
    String path = pool.getJdbcUrl().substring("jdbc:h2:file:".length()).split(";", 2)[0];
    try {
      return Files.getFileStore(Path.of(path).getParent()).getUsableSpace() > 2 * liveBytes + MIN_FILE_BYTES;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Compacts when the file is mostly dead space; runs on a worker thread, one at a time. */
  static Void compactIfSparse(HikariDataSource pool, DataSource direct) throws SQLException, InterruptedException {
    long fileBytes;
    int livePercent;
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS "
             + "WHERE SETTING_NAME IN ('info.FILE_SIZE', 'info.CHUNKS_FILL_RATE')")) {
      long size = 0;
      int fill = 100;
      while (rs.next()) {
        if (rs.getString(1).equals("info.FILE_SIZE")) size = Long.parseLong(rs.getString(2));
        else fill = Integer.parseInt(rs.getString(2));
      }
      fileBytes = size;
      livePercent = fill;
    }
    if (fileBytes < MIN_FILE_BYTES || livePercent >= MIN_LIVE_PERCENT) return null;
    long liveBytes = fileBytes / 100 * livePercent;
    if (liveBytes > MAX_LIVE_BYTES || !roomFor(pool, liveBytes)) return null;
    HikariPoolMXBean mx = pool.getHikariPoolMXBean();
    long started = System.nanoTime();
    mx.suspendPool();
    try {
      long until = System.currentTimeMillis() + DRAIN_MS;
      while (mx.getActiveConnections() > 0) {
        if (System.currentTimeMillis() > until) return null; // busy: next time
        Thread.sleep(5);
      }
      try (Connection c = direct.getConnection(); Statement st = c.createStatement()) {
        st.execute("SHUTDOWN COMPACT");
      }
      mx.softEvictConnections(); // they belonged to the database just closed
    } finally {
      mx.resumePool();
    }
    LOG.info("database file compacted: it was {} KB, {}% live; the pause took {} ms", fileBytes / 1024, livePercent,
        (System.nanoTime() - started) / 1_000_000);
    return null;
  }
}
