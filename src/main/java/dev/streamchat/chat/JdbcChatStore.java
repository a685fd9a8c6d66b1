package dev.streamchat.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The chat store over JDBC, for H2 and PostgreSQL alike. Every query goes through the database's
 * {@link DatabaseRunner}: on its worker pool, within its deadline, refused fast while the
 * database is away.
 */
public final class JdbcChatStore implements ChatStore {

  private static final String MESSAGE_COLUMNS =
      "id, conversation_id, seq, role, content, reasoning, generation_id, state, error, model, created_at";
  /** What a message is read with: its columns and the shape its answer was asked for. */
  private static final String READ_COLUMNS = MESSAGE_COLUMNS + ", response_format";

  /** SQLSTATE of a unique-key clash, the same in H2 and PostgreSQL. */
  private static final String UNIQUE_VIOLATION = "23505";
  static final String ANSWER_RUNNING = "An answer is still being written in this conversation; stop it first.";

  private final AutoCloseable closer;
  private final DatabaseRunner db;

  public JdbcChatStore(Vertx vertx, DataSource ds, AutoCloseable closer) {
    this(vertx, ds, closer, Database.Timeouts.DEFAULT.queryMs());
  }

  /** {@code deadlineMs}: how long one call may take before the database counts as away. */
  public JdbcChatStore(Vertx vertx, DataSource ds, AutoCloseable closer, long deadlineMs) {
    this.closer = closer;
    this.db = new DatabaseRunner(vertx, ds, deadlineMs);
  }

  /** The runner of this database's calls, for the other stores on it (accounts). */
  public DatabaseRunner runner() {
    return db;
  }

  private <T> Future<T> blocking(DatabaseRunner.Work<T> work) {
    return db.call(work);
  }

  @Override
  public Future<Conversation> createConversation(String owner, String title, String model) {
    long now = System.currentTimeMillis();
    Conversation conv = new Conversation(UUID.randomUUID().toString(), owner, title, model, now, now);
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO conversations (id, owner, title, model, created_at, updated_at) VALUES (?,?,?,?,?,?)")) {
        ps.setString(1, conv.id());
        ps.setString(2, owner);
        ps.setString(3, title);
        ps.setString(4, model);
        ps.setLong(5, now);
        ps.setLong(6, now);
        ps.executeUpdate();
      }
      return conv;
    });
  }

  @Override
  public Future<List<Conversation>> conversations(String owner, int limit) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, owner, title, model, created_at, updated_at FROM conversations "
              + "WHERE owner = ? ORDER BY updated_at DESC, id LIMIT ?")) {
        ps.setString(1, owner);
        ps.setInt(2, limit);
        List<Conversation> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(conversation(rs));
        }
        return out;
      }
    });
  }

  @Override
  public Future<Optional<Conversation>> conversation(String owner, String id) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, owner, title, model, created_at, updated_at FROM conversations WHERE id = ? AND owner = ?")) {
        ps.setString(1, id);
        ps.setString(2, owner);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(conversation(rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public Future<Boolean> renameConversation(String owner, String id, String title) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?")) {
        ps.setString(1, title);
        ps.setString(2, id);
        ps.setString(3, owner);
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public Future<Boolean> deleteConversation(String owner, String id) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM conversations WHERE id = ? AND owner = ?")) {
        ps.setString(1, id);
        ps.setString(2, owner);
        return ps.executeUpdate() > 0;
      }
    });
  }

  @Override
  public Future<List<Message>> messages(String conversationId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + READ_COLUMNS + " FROM messages WHERE conversation_id = ? ORDER BY seq")) {
        ps.setString(1, conversationId);
        return messageList(ps);
      }
    });
  }

  @Override
  public Future<List<Message>> messagesBefore(String conversationId, int beforeSeq, int limit) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + READ_COLUMNS + " FROM messages WHERE conversation_id = ? AND seq < ? "
              + "ORDER BY seq DESC LIMIT ?")) {
        ps.setString(1, conversationId);
        ps.setInt(2, beforeSeq);
        ps.setInt(3, limit);
        List<Message> latestFirst = messageList(ps);
        java.util.Collections.reverse(latestFirst);
        return latestFirst;
      }
    });
  }

  @Override
  public Future<Integer> transferConversations(String fromOwner, String toOwner) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET owner = ? WHERE owner = ?")) {
        ps.setString(1, toOwner);
        ps.setString(2, fromOwner);
        return ps.executeUpdate();
      }
    });
  }

  @Override
  public Future<java.util.Map<String, String>> titles(java.util.Collection<String> ids) {
    List<String> wanted = List.copyOf(ids);
    if (wanted.isEmpty()) return Future.succeededFuture(java.util.Map.of());
    return blocking(c -> {
      String marks = String.join(",", java.util.Collections.nCopies(wanted.size(), "?"));
      try (PreparedStatement ps = c.prepareStatement("SELECT id, title FROM conversations WHERE id IN (" + marks + ")")) {
        for (int i = 0; i < wanted.size(); i++) ps.setString(i + 1, wanted.get(i));
        java.util.Map<String, String> out = new java.util.HashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
        return out;
      }
    });
  }

  @Override
  public Future<Integer> conversationCount(String owner) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM conversations WHERE owner = ?")) {
        ps.setString(1, owner);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }

  @Override
  public Future<Long> storedBytes(String owner) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT COALESCE(SUM(OCTET_LENGTH(m.content) + COALESCE(OCTET_LENGTH(m.reasoning), 0)), 0) "
              + "+ (SELECT COALESCE(SUM(OCTET_LENGTH(v.content) + COALESCE(OCTET_LENGTH(v.reasoning), 0)), 0) "
              + "FROM answer_versions v JOIN messages vm ON vm.id = v.message_id "
              + "JOIN conversations vc ON vc.id = vm.conversation_id WHERE vc.owner = ?) "
              + "FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.owner = ?")) {
        ps.setString(1, owner);
        ps.setString(2, owner);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  @Override
  public Future<Void> addExchange(String conversationId, String userText, String generationId, String model) {
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        // Sends into one conversation take turns: the conversation's row is locked first, so a
        // send that raced past the service's check waits here, then sees the other's answer
        // running (under read-committed, counting first and numbering after the other's commit
        // let two sends through with fresh message numbers).
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM conversations WHERE id = ? FOR UPDATE")) {
          ps.setString(1, conversationId);
          ps.executeQuery().close();
        }
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND state = 'running'")) {
          ps.setString(1, conversationId);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getInt(1) > 0) throw new Problem(409, ANSWER_RUNNING);
          }
        }
        int next;
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?")) {
          ps.setString(1, conversationId);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            next = rs.getInt(1) + 1;
          }
        }
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (" + MESSAGE_COLUMNS
            + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
          insertMessage(ps, conversationId, next, "user", userText, null, null, null, now);
          insertMessage(ps, conversationId, next + 1, "assistant", "", generationId, "running", model, now);
          ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE conversations SET updated_at = ?, model = ? WHERE id = ?")) {
          ps.setLong(1, now);
          ps.setString(2, model);
          ps.setString(3, conversationId);
          ps.executeUpdate();
        }
        c.commit();
        return null;
      } catch (SQLException e) {
        c.rollback();
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw new Problem(409, ANSWER_RUNNING);
        }
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  @Override
  public Future<Boolean> restartAnswer(String oldGenerationId, String newGenerationId, String content, String model,
      boolean keepOld) {
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        if (keepOld) {
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO answer_versions (message_id, version, "
              + "content, reasoning, generation_id, state, error, model, created_at) "
              + "SELECT m.id, (SELECT COALESCE(MAX(v.version), 0) + 1 FROM answer_versions v WHERE v.message_id = m.id), "
              + "m.content, m.reasoning, m.generation_id, m.state, m.error, m.model, m.created_at "
              + "FROM messages m WHERE m.generation_id = ?")) {
            ps.setString(1, oldGenerationId);
            ps.executeUpdate();
          }
        }
        int changed;
        try (PreparedStatement ps = c.prepareStatement("UPDATE messages SET generation_id = ?, content = ?, "
            + "reasoning = NULL, state = 'running', error = NULL, model = ?, created_at = ? WHERE generation_id = ?")) {
          ps.setString(1, newGenerationId);
          ps.setString(2, content);
          ps.setString(3, model);
          ps.setLong(4, System.currentTimeMillis());
          ps.setString(5, oldGenerationId);
          changed = ps.executeUpdate();
        }
        touch(c, newGenerationId);
        c.commit();
        return changed > 0;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  @Override
  public Future<Optional<Message>> answerOf(String generationId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + READ_COLUMNS + " FROM messages WHERE generation_id = ? AND role = 'assistant'")) {
        ps.setString(1, generationId);
        List<Message> found = messageList(ps);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    });
  }

  @Override
  public Future<List<Message>> earlierVersions(String messageId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT v.message_id, m.conversation_id, v.version, "
          + "'assistant', v.content, v.reasoning, v.generation_id, v.state, v.error, v.model, v.created_at, "
          + "m.response_format FROM answer_versions v JOIN messages m ON m.id = v.message_id WHERE v.message_id = ? ORDER BY v.version")) {
        ps.setString(1, messageId);
        return messageList(ps);
      }
    });
  }

  @Override
  public Future<java.util.Map<String, Integer>> versionCounts(String conversationId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT v.message_id, COUNT(*) FROM answer_versions v "
          + "JOIN messages m ON m.id = v.message_id WHERE m.conversation_id = ? GROUP BY v.message_id")) {
        ps.setString(1, conversationId);
        java.util.Map<String, Integer> out = new java.util.HashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.put(rs.getString(1), rs.getInt(2));
        }
        return out;
      }
    });
  }

  @Override
  public Future<List<Conversation>> search(String owner, String text, int limit) {
    String pattern = "%" + likeLiteral(text.toLowerCase(java.util.Locale.ROOT)) + "%";
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT c.id, c.owner, c.title, c.model, c.created_at, c.updated_at FROM conversations c "
              + "WHERE c.owner = ? AND (LOWER(c.title) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
              + "WHERE m.conversation_id = c.id AND LOWER(m.content) LIKE ? ESCAPE '\\')) "
              + "ORDER BY c.updated_at DESC, c.id LIMIT ?")) {
        ps.setString(1, owner);
        ps.setString(2, pattern);
        ps.setString(3, pattern);
        ps.setInt(4, limit);
        List<Conversation> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(conversation(rs));
        }
        return out;
      }
    });
  }

  /** The text as a LIKE pattern that matches only itself: the wildcards and the escape are escaped. */
  static String likeLiteral(String text) {
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  /** Marks the conversation holding a generation's message as just updated (newest first). */
  private static void touch(Connection c, String generationId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET updated_at = ? WHERE id = "
        + "(SELECT conversation_id FROM messages WHERE generation_id = ?)")) {
      ps.setLong(1, System.currentTimeMillis());
      ps.setString(2, generationId);
      ps.executeUpdate();
    }
  }

  @Override
  public Future<Void> editAndResend(String conversationId, int userSeq, String userText, String generationId,
      String model) {
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE messages SET content = ? WHERE conversation_id = ? AND seq = ? AND role = 'user'")) {
          ps.setString(1, userText);
          ps.setString(2, conversationId);
          ps.setInt(3, userSeq);
          if (ps.executeUpdate() == 0) throw new SQLException("no user message " + userSeq);
        }
        try (PreparedStatement ps = c.prepareStatement(
            "DELETE FROM messages WHERE conversation_id = ? AND seq > ?")) {
          ps.setString(1, conversationId);
          ps.setInt(2, userSeq);
          ps.executeUpdate();
        }
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (" + MESSAGE_COLUMNS
            + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
          insertMessage(ps, conversationId, userSeq + 1, "assistant", "", generationId, "running", model, now);
          ps.executeBatch();
        }
        touch(c, generationId);
        c.commit();
        return null;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  private static void insertMessage(PreparedStatement ps, String conversationId, int seq, String role,
      String content, String generationId, String state, String model, long now) throws SQLException {
    ps.setString(1, UUID.randomUUID().toString());
    ps.setString(2, conversationId);
    ps.setInt(3, seq);
    ps.setString(4, role);
    ps.setString(5, content);
    ps.setString(6, null);
    ps.setString(7, generationId);
    ps.setString(8, state);
    ps.setString(9, null);
    ps.setString(10, model);
    ps.setLong(11, now);
    ps.addBatch();
  }

  @Override
  public Future<Void> setAnswerFormat(String generationId, dev.streamchat.model.ResponseFormat format) {
    // Encoded here, not in the timed database call (a JVM's first JSON encoding takes a while).
    String json = format == null ? null : format.toJson().encode();
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE messages SET response_format = ? WHERE generation_id = ? AND role = 'assistant'")) {
        ps.setString(1, json);
        ps.setString(2, generationId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Void> saveAnswer(String generationId, String content, String reasoning, String state, String error) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE messages SET content = ?, reasoning = ?, state = ?, error = ? WHERE generation_id = ?")) {
        ps.setString(1, content);
        ps.setString(2, reasoning == null || reasoning.isEmpty() ? null : reasoning);
        ps.setString(3, state);
        ps.setString(4, error);
        ps.setString(5, generationId);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<List<Message>> runningAnswers() {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + READ_COLUMNS + " FROM messages WHERE state = 'running'")) {
        return messageList(ps);
      }
    });
  }

  @Override
  public Future<Void> ping() {
    return db.ping();
  }

  @Override
  public Future<Void> close() {
    return db.close().andThen(v -> {
      try {
        closer.close();
      } catch (Exception ignored) {
        // closing at shutdown: nothing left to do about it
      }
    });
  }

  private static Conversation conversation(ResultSet rs) throws SQLException {
    return new Conversation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
        rs.getLong(5), rs.getLong(6));
  }

  private static dev.streamchat.model.ResponseFormat format(String stored) {
    if (stored == null) return null;
    try {
      return dev.streamchat.model.ResponseFormat.fromJson(new io.vertx.core.json.JsonObject(stored));
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(JdbcChatStore.class).warn("a stored answer format could not be read ({}); the answer is shown as text", e.toString());
      return null;
    }
  }

  private static List<Message> messageList(PreparedStatement ps) throws SQLException {
    List<Message> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Message(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
            rs.getString(10), rs.getLong(11), format(rs.getString(12))));
      }
    }
    return out;
  }
}
