package dev.streamchat.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import dev.streamchat.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Several instances started at once on an empty PostgreSQL schema, as replicas of a new deployment are. */
class DatabaseMigrationTest {

  @Test
  void instancesStartedTogetherOnAnEmptyDatabaseMigrateItOnce() throws Exception {
    try (TestDatabase db = TestDatabase.of("postgresql")) {
      Path dataDir = Files.createTempDirectory("streamchat-migrate");
      int instances = 4;
      ExecutorService pool = Executors.newFixedThreadPool(instances);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<HikariDataSource>> opened = new ArrayList<>();
      try {
        for (int i = 0; i < instances; i++) {
          opened.add(pool.submit(() -> {
            go.await();
            return Database.open(db.url(), dataDir);
          }));
        }
        go.countDown();
        List<HikariDataSource> sources = new ArrayList<>();
        for (Future<HikariDataSource> f : opened) sources.add(f.get(60, TimeUnit.SECONDS)); // none failed
        try (Connection c = sources.get(0).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version, COUNT(*) FROM schema_version GROUP BY version ORDER BY version")) {
          List<String> versions = new ArrayList<>();
          while (rs.next()) versions.add(rs.getInt(1) + "×" + rs.getInt(2));
          List<String> once = new ArrayList<>();
          for (int v = 1; v <= Database.MIGRATIONS.size(); v++) once.add(v + "×1");
          assertEquals(once, versions, "each migration applied once");
        }
        for (HikariDataSource ds : sources) ds.close();
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
