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
  static final List<String> MIGRATIONS = List.of("V1__init.sql", "V2__accounts.sql", "V3__answer_versions.sql",
      "V4__answer_format.sql");

  private Database() {
  }

  /**
   * How long to wait for the database. {@code connectMs} bounds taking a connection from the
   * pool (and making one: TCP connect and login); {@code queryMs} bounds one query on the server
   * and, with a second's grace, a silent socket, so no thread waits on a vanished host for long.
   */
  public record Timeouts(int connectMs, int queryMs) {
    public static final Timeouts DEFAULT = new Timeouts(1500, 1500);

    int connectSeconds() {
      return Math.max(1, (connectMs + 999) / 1000);
    }

    /** A read that waits longer than a query may run is a dead connection. */
    int socketSeconds() {
      return (queryMs + 999) / 1000 + 1;
    }
  }

  public static HikariDataSource open(Optional<String> databaseUrl, Path dataDir) {
    return open(databaseUrl, dataDir, Timeouts.DEFAULT);
  }

  public static HikariDataSource open(Optional<String> databaseUrl, Path dataDir, Timeouts timeouts) {
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("streamchat-db");
    // Fail fast: a request waits at most this long for a connection, then is told to come back.
    cfg.setConnectionTimeout(timeouts.connectMs());
    cfg.setValidationTimeout(Math.max(250, timeouts.connectMs() / 2));
    // Idle connections are tested now and then, so one a failover left dead is found and replaced.
    cfg.setKeepaliveTime(30_000);
    // Connections are made when asked for, never to keep a minimum: during an outage nothing asks
    // (calls are refused) but the probe, so the pool never backs off for seconds between attempts
    // and takes the first connection the returning database offers.
    cfg.setMinimumIdle(0);
    if (databaseUrl.isPresent()) {
      configurePostgres(cfg, databaseUrl.get());
      cfg.addDataSourceProperty("connectTimeout", timeouts.connectSeconds());
      cfg.addDataSourceProperty("loginTimeout", timeouts.connectSeconds());
      cfg.addDataSourceProperty("socketTimeout", timeouts.socketSeconds());
      cfg.addDataSourceProperty("cancelSignalTimeout", timeouts.connectSeconds());
      cfg.addDataSourceProperty("tcpKeepAlive", true);
      cfg.addDataSourceProperty("options", "-c statement_timeout=" + timeouts.queryMs());
      cfg.setMaximumPoolSize(8);
    } else {
      // H2 serialises writers anyway; a small pool keeps file locking simple. WRITE_DELAY=0 hands
      // every commit to the OS at once (H2 would otherwise wait up to a second), so a kill -9
      // right after a message is sent keeps the message.
      cfg.setJdbcUrl("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("streamchat")
          + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;QUERY_TIMEOUT=" + timeouts.queryMs());
      cfg.setMaximumPoolSize(4);
      cfg.setAllowPoolSuspension(true); // paused while H2Compaction closes and compacts the file
    }
    HikariDataSource ds = new HikariDataSource(cfg);
    try {
      migrate(ds, databaseUrl.isPresent(), timeouts);
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

  private static void migrate(HikariDataSource ds, boolean postgres, Timeouts timeouts) throws SQLException, IOException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      // A migration may run longer than a request's query: no timeout on this connection.
      st.execute(postgres ? "SET statement_timeout = 0" : "SET QUERY_TIMEOUT 0");
      // Instances started together on an empty PostgreSQL would each create the tables (and fail on
      // PostgreSQL's catalogue): one migrates at a time per schema, the others then find it done.
      if (postgres) st.execute("SELECT pg_advisory_lock(" + MIGRATION_LOCK + ")");
      try {
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
      } finally {
        if (postgres) st.execute("SELECT pg_advisory_unlock(" + MIGRATION_LOCK + ")");
      }
      st.execute(postgres ? "RESET statement_timeout" : "SET QUERY_TIMEOUT " + timeouts.queryMs());
    }
  }

  /** The advisory lock key of this schema's migrations. */
  private static final String MIGRATION_LOCK = "hashtext('streamchat.migrations.' || current_schema())";

  private static List<String> statements(String name) throws IOException {
    try (InputStream in = Database.class.getResourceAsStream("/db/" + name)) {
      if (in == null) throw new IOException("missing migration " + name);
      String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
      return java.util.Arrays.stream(sql.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
  }
}
