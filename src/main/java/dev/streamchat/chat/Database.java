package dev.streamchat.chat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the database (an H2 file under the data dir by default, PostgreSQL when a URL is set)
 * and brings its schema up to date with the numbered migrations in {@code db/}.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** Applied in order; a new migration is added at the end, never edited once released. */
  static final List<String> MIGRATIONS = List.of("V1__init.sql", "V2__accounts.sql", "V3__answer_versions.sql");

  private Database() {
  }

  public static HikariDataSource open(Optional<String> databaseUrl, Path dataDir) {
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("streamchat-db");
    if (databaseUrl.isPresent()) {
      configurePostgres(cfg, databaseUrl.get());
      cfg.setMaximumPoolSize(8);
    } else {
      // H2 serialises writers anyway; a small pool keeps file locking simple. WRITE_DELAY=0 hands
      // every commit to the OS at once (H2 would otherwise wait up to a second), so a kill -9
      // right after a message is sent keeps the message.
      cfg.setJdbcUrl("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("streamchat")
          + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
      cfg.setMaximumPoolSize(4);
    }
    HikariDataSource ds = new HikariDataSource(cfg);
    try {
      migrate(ds);
    } catch (SQLException | IOException e) {
      ds.close();
      throw new IllegalStateException("cannot prepare the database: " + e.getMessage(), e);
    }
    return ds;
  }

  /** Accepts {@code postgresql://user:pass@host:port/db} (and {@code postgres://}, {@code jdbc:}). */
  static void configurePostgres(HikariConfig cfg, String url) {
    if (url.startsWith("jdbc:")) {
      cfg.setJdbcUrl(url);
      return;
    }
    URI uri = URI.create(url);
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
      throw new IllegalArgumentException("STREAMCHAT_DATABASE_URL must start with postgresql://");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : 5432;
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    cfg.setJdbcUrl("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query);
    if (uri.getRawUserInfo() != null) {
      String[] userPass = uri.getRawUserInfo().split(":", 2);
      cfg.setUsername(URLDecoder.decode(userPass[0], StandardCharsets.UTF_8));
      if (userPass.length > 1) cfg.setPassword(URLDecoder.decode(userPass[1], StandardCharsets.UTF_8));
    }
  }

  private static void migrate(HikariDataSource ds) throws SQLException, IOException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)");
      int current = 0;
      try (var rs = st.executeQuery("SELECT MAX(version) FROM schema_version")) {
        if (rs.next()) current = rs.getInt(1);
      }
      for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
        String name = MIGRATIONS.get(v - 1);
        c.setAutoCommit(false);
        for (String sql : statements(name)) st.execute(sql);
        st.execute("INSERT INTO schema_version (version) VALUES (" + v + ")");
        c.commit();
        c.setAutoCommit(true);
        LOG.info("database migrated to version {} ({})", v, name);
      }
    }
  }

  private static List<String> statements(String name) throws IOException {
    try (InputStream in = Database.class.getResourceAsStream("/db/" + name)) {
      if (in == null) throw new IOException("missing migration " + name);
      String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
      return java.util.Arrays.stream(sql.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
  }
}
