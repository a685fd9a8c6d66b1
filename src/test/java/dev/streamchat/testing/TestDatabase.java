package dev.streamchat.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A database for one test: the embedded H2 (nothing to set up) or the PostgreSQL at
 * 127.0.0.1:5432/test in a schema of its own, dropped on close, so parallel runs never meet.
 * Where PostgreSQL is absent the test is skipped, saying so.
 */
public final class TestDatabase implements AutoCloseable {

  public static final String PG_JDBC = "jdbc:postgresql://127.0.0.1:5432/test";
  public static final List<String> KINDS = List.of("h2", "postgresql");

  private final String kind;
  private final String schema;

  private TestDatabase(String kind, String schema) {
    this.kind = kind;
    this.schema = schema;
  }

  /** "h2" or "postgresql"; the latter skips the calling test when PostgreSQL cannot be reached. */
  public static TestDatabase of(String kind) {
    if (kind.equals("h2")) return new TestDatabase(kind, null);
    String schema = "streamchat_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection(PG_JDBC + "?connectTimeout=3", "postgres", "");
         Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      Assumptions.assumeTrue(false, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres) "
          + "is not reachable, so the PostgreSQL run is skipped: " + e.getMessage());
    }
    return new TestDatabase(kind, schema);
  }

  public String kind() {
    return kind;
  }

  /** The value of STREAMCHAT_DATABASE_URL, empty for the embedded database. */
  public Optional<String> url() {
    return schema == null ? Optional.empty()
        : Optional.of("postgresql://postgres@127.0.0.1:5432/test?currentSchema=" + schema);
  }

  /** Environment variables that point the app at this database. */
  public Map<String, String> env(Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    url().ifPresent(u -> env.put("STREAMCHAT_DATABASE_URL", u));
    return env;
  }

  @Override
  public void close() throws SQLException {
    if (schema == null) return;
    try (Connection c = DriverManager.getConnection(PG_JDBC, "postgres", "");
         Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }
}
