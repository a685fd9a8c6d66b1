package dev.streamchat.auth;

import dev.streamchat.chat.DatabaseRunner;
import dev.streamchat.chat.Problem;
import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Users, their signed-in sessions, API tokens and invites over JDBC, for H2 and PostgreSQL alike.
 * Every query goes through the chat store's {@link DatabaseRunner}: the same worker pool, deadline
 * and outage breaker. Secrets (session cookies, tokens, invite codes) are kept only as SHA-256
 * digests.
 */
public final class AccountStore {

  /** SQLSTATE of a unique-key clash, the same in H2 and PostgreSQL. */
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String USER_COLUMNS = "u.id, u.username, u.owner, u.disabled, u.created_at, u.last_seen_at";

  /** A user row with its password hash (null for users the proxy names). */
  record Credentials(Account account, String passwordHash) {
  }

  private final DatabaseRunner db;

  /** {@code db}: the chat store's runner, so an outage answers 503 here as fast as everywhere. */
  public AccountStore(DatabaseRunner db) {
    this.db = db;
  }

  private <T> Future<T> blocking(DatabaseRunner.Work<T> work) {
    return db.call(work);
  }

  /**
   * Makes a user; with an invite code's digest the invite is used up in the same transaction
   * (refused when unknown, used or expired). A taken username is a 409.
   */
  Future<Account> createUser(String username, String passwordHash, String inviteHash) {
    long now = System.currentTimeMillis();
    String id = UUID.randomUUID().toString();
    Account account = new Account(id, username, Account.ownerOf(id), false, now, now);
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        insertUser(c, account, passwordHash);
        if (inviteHash != null) {
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE invites SET used_by = ? WHERE code_hash = ? AND used_by IS NULL AND expires_at > ?")) {
            ps.setString(1, id);
            ps.setString(2, inviteHash);
            ps.setLong(3, now);
            if (ps.executeUpdate() == 0) throw new Problem(403, "This invite link is not valid: it is unknown, used or expired.");
          }
        }
        c.commit();
        return account;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        if (e instanceof SQLException se && UNIQUE_VIOLATION.equals(se.getSQLState())) {
          throw new Problem(409, "That username is taken.");
        }
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  private static void insertUser(Connection c, Account a, String passwordHash) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO users "
        + "(id, username, owner, password_hash, disabled, created_at, last_seen_at) VALUES (?,?,?,?,?,?,?)")) {
      ps.setString(1, a.id());
      ps.setString(2, a.username());
      ps.setString(3, a.owner());
      ps.setString(4, passwordHash);
      ps.setBoolean(5, false);
      ps.setLong(6, a.createdAt());
      ps.setLong(7, a.lastSeenAt());
      ps.executeUpdate();
    }
  }

  Future<Optional<Credentials>> credentials(String username) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + USER_COLUMNS + ", u.password_hash FROM users u WHERE u.username = ?")) {
        ps.setString(1, username);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new Credentials(account(rs), rs.getString(7))) : Optional.empty();
        }
      }
    });
  }

  Future<Optional<Credentials>> credentialsById(String userId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + USER_COLUMNS + ", u.password_hash FROM users u WHERE u.id = ?")) {
        ps.setString(1, userId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(new Credentials(account(rs), rs.getString(7))) : Optional.empty();
        }
      }
    });
  }

  /** The user the proxy names, made on first sight (they have no password: the proxy signs them in). */
  Future<Account> proxyUser(String username) {
    return blocking(c -> {
      Optional<Account> found = userByName(c, username);
      if (found.isPresent()) return touchUser(c, found.get());
      long now = System.currentTimeMillis();
      String id = UUID.randomUUID().toString();
      Account made = new Account(id, username, Account.ownerOf(id), false, now, now);
      try {
        insertUser(c, made, null);
        return made;
      } catch (SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
        // Two first requests raced: the other one made it.
        return userByName(c, username).orElseThrow(() -> e);
      }
    });
  }

  private static Optional<Account> userByName(Connection c, String username) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + USER_COLUMNS + " FROM users u WHERE u.username = ?")) {
      ps.setString(1, username);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(account(rs)) : Optional.empty();
      }
    }
  }

  private static Account touchUser(Connection c, Account a) throws SQLException {
    long now = System.currentTimeMillis();
    try (PreparedStatement ps = c.prepareStatement("UPDATE users SET last_seen_at = ? WHERE id = ?")) {
      ps.setLong(1, now);
      ps.setString(2, a.id());
      ps.executeUpdate();
    }
    return new Account(a.id(), a.username(), a.owner(), a.disabled(), a.createdAt(), now);
  }

  Future<Void> openSession(String idHash, String userId, String userAgent, String address) {
    long now = System.currentTimeMillis();
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO user_sessions "
          + "(id_hash, user_id, created_at, last_seen_at, user_agent, address) VALUES (?,?,?,?,?,?)")) {
        ps.setString(1, idHash);
        ps.setString(2, userId);
        ps.setLong(3, now);
        ps.setLong(4, now);
        ps.setString(5, clip(userAgent, 200));
        ps.setString(6, clip(address, 64));
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** Whether anyone has a signed-in session at all. */
  Future<Boolean> anySessions() {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM user_sessions LIMIT 1"); ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    });
  }

  /** The account a session cookie (by digest) is signed in to; marks both as seen now. */
  Future<Optional<Account>> sessionUser(String idHash) {
    return blocking(c -> {
      Optional<Account> found;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + USER_COLUMNS
          + " FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?")) {
        ps.setString(1, idHash);
        try (ResultSet rs = ps.executeQuery()) {
          found = rs.next() ? Optional.of(account(rs)) : Optional.empty();
        }
      }
      if (found.isEmpty()) return found;
      try (PreparedStatement ps = c.prepareStatement("UPDATE user_sessions SET last_seen_at = ? WHERE id_hash = ?")) {
        ps.setLong(1, System.currentTimeMillis());
        ps.setString(2, idHash);
        ps.executeUpdate();
      }
      return Optional.of(touchUser(c, found.get()));
    });
  }

  /** The account an API token (by digest) belongs to; marks both as used now. */
  Future<Optional<Account>> tokenUser(String tokenHash) {
    return blocking(c -> {
      Optional<Account> found;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + USER_COLUMNS
          + " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?")) {
        ps.setString(1, tokenHash);
        try (ResultSet rs = ps.executeQuery()) {
          found = rs.next() ? Optional.of(account(rs)) : Optional.empty();
        }
      }
      if (found.isEmpty()) return found;
      try (PreparedStatement ps = c.prepareStatement("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?")) {
        ps.setLong(1, System.currentTimeMillis());
        ps.setString(2, tokenHash);
        ps.executeUpdate();
      }
      return Optional.of(touchUser(c, found.get()));
    });
  }

  Future<Void> closeSession(String idHash) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM user_sessions WHERE id_hash = ?")) {
        ps.setString(1, idHash);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** Ends every session of the user but {@code keepIdHash} (null: all of them). */
  Future<Integer> closeSessions(String userId, String keepIdHash) {
    return blocking(c -> closeSessions(c, userId, keepIdHash));
  }

  private static int closeSessions(Connection c, String userId, String keepIdHash) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM user_sessions WHERE user_id = ? AND id_hash <> ?")) {
      ps.setString(1, userId);
      ps.setString(2, keepIdHash == null ? "" : keepIdHash);
      return ps.executeUpdate();
    }
  }

  Future<List<SessionInfo>> sessions(String userId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT id_hash, created_at, last_seen_at, user_agent, address "
          + "FROM user_sessions WHERE user_id = ? ORDER BY last_seen_at DESC LIMIT 200")) {
        ps.setString(1, userId);
        List<SessionInfo> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new SessionInfo(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5)));
          }
        }
        return out;
      }
    });
  }

  /** Sets a new password hash and ends the user's other sessions, together. */
  Future<Void> setPassword(String userId, String passwordHash, String keepIdHash) {
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement("UPDATE users SET password_hash = ? WHERE id = ?")) {
          ps.setString(1, passwordHash);
          ps.setString(2, userId);
          ps.executeUpdate();
        }
        closeSessions(c, userId, keepIdHash);
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

  Future<ApiToken> createToken(String userId, String name, String tokenHash, int maxTokens) {
    long now = System.currentTimeMillis();
    ApiToken token = new ApiToken(UUID.randomUUID().toString(), name, now, null);
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM api_tokens WHERE user_id = ?")) {
        ps.setString(1, userId);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getInt(1) >= maxTokens) {
            throw new Problem(409, "You have " + maxTokens + " API tokens, the most allowed; revoke one first.");
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?,?,?,?,?)")) {
        ps.setString(1, token.id());
        ps.setString(2, userId);
        ps.setString(3, name);
        ps.setString(4, tokenHash);
        ps.setLong(5, now);
        ps.executeUpdate();
      }
      return token;
    });
  }

  Future<List<ApiToken>> tokens(String userId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT id, name, created_at, last_used_at FROM api_tokens "
          + "WHERE user_id = ? ORDER BY created_at DESC, id")) {
        ps.setString(1, userId);
        List<ApiToken> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long used = rs.getLong(4);
            out.add(new ApiToken(rs.getString(1), rs.getString(2), rs.getLong(3), rs.wasNull() ? null : used));
          }
        }
        return out;
      }
    });
  }

  /** Deletes one of the user's tokens; false when they have no such token. */
  Future<Boolean> deleteToken(String userId, String tokenId) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM api_tokens WHERE id = ? AND user_id = ?")) {
        ps.setString(1, tokenId);
        ps.setString(2, userId);
        return ps.executeUpdate() > 0;
      }
    });
  }

  /** Disables or enables a user; disabling also ends their sessions. Empty when there is no such user. */
  Future<Optional<Account>> setDisabled(String userId, boolean disabled) {
    return blocking(c -> {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement("UPDATE users SET disabled = ? WHERE id = ?")) {
          ps.setBoolean(1, disabled);
          ps.setString(2, userId);
          if (ps.executeUpdate() == 0) {
            c.rollback();
            return Optional.<Account>empty();
          }
        }
        if (disabled) closeSessions(c, userId, null);
        Optional<Account> out;
        try (PreparedStatement ps = c.prepareStatement("SELECT " + USER_COLUMNS + " FROM users u WHERE u.id = ?")) {
          ps.setString(1, userId);
          try (ResultSet rs = ps.executeQuery()) {
            out = rs.next() ? Optional.of(account(rs)) : Optional.empty();
          }
        }
        c.commit();
        return out;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  /** The users with what they store, most recently seen first. */
  Future<List<UserSummary>> users(int limit) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + USER_COLUMNS
          + ", (SELECT COUNT(*) FROM conversations c WHERE c.owner = u.owner)"
          + ", (SELECT COALESCE(SUM(OCTET_LENGTH(m.content) + COALESCE(OCTET_LENGTH(m.reasoning), 0)), 0)"
          + " FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.owner = u.owner)"
          + " FROM users u ORDER BY u.last_seen_at DESC, u.username LIMIT ?")) {
        ps.setInt(1, limit);
        List<UserSummary> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add(new UserSummary(account(rs), rs.getInt(7), rs.getLong(8), 0));
        }
        return out;
      }
    });
  }

  Future<Void> createInvite(String codeHash, long expiresAt) {
    return blocking(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO invites (code_hash, created_at, expires_at) VALUES (?,?,?)")) {
        ps.setString(1, codeHash);
        ps.setLong(2, System.currentTimeMillis());
        ps.setLong(3, expiresAt);
        ps.executeUpdate();
      }
      return null;
    });
  }

  private static Account account(ResultSet rs) throws SQLException {
    return new Account(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getLong(5), rs.getLong(6));
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
