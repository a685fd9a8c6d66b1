package dev.streamchat.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import io.vertx.core.Future;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the admin page, API and metrics: whoever knows the admin token. Programs send it as
 * a bearer token; people log in once and get a random admin-session id in a cookie, kept (as its
 * digest) in memory, or in Redis for a service of instances (so the cookie never holds the token,
 * and logout revokes it).
 */
public final class AdminAccess {

  private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  public static final long SESSION_SECONDS = 12 * 3600;
  private static final int MAX_SESSIONS = 1_000;

  private final byte[] tokenDigest;
  private final Sessions sessions;

  private AdminAccess(String token, Sessions sessions) {
    this.tokenDigest = sha256(token);
    this.sessions = sessions;
  }

  /** The configured token, or a random one that is logged once so the operator can use it. */
  public static AdminAccess from(Optional<String> configured) {
    return from(configured, new InMemory());
  }

  /** As {@link #from(Optional)}, with admin sessions kept in {@code sessions}. */
  public static AdminAccess from(Optional<String> configured, Sessions sessions) {
    if (configured.isPresent()) return new AdminAccess(configured.get(), sessions);
    String generated = randomId();
    LOG.warn("STREAMCHAT_ADMIN_TOKEN is not set; this run's admin token is {}", generated);
    return new AdminAccess(generated, sessions);
  }

  /** Compares digests in constant time, so neither the token nor its length leaks through timing. */
  public boolean isToken(String candidate) {
    return candidate != null && MessageDigest.isEqual(sha256(candidate), tokenDigest);
  }

  /** The value of an {@code Authorization} header carries the token. */
  public boolean isBearer(String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        && isToken(authorization.substring(7).strip());
  }

  /** Opens an admin session and answers its id, the cookie's value. */
  public Future<String> openSession() {
    String id = randomId();
    return sessions.open(sha256Hex(id), SESSION_SECONDS).map(v -> id);
  }

  public Future<Boolean> isSession(String id) {
    if (id == null || id.isEmpty()) return Future.succeededFuture(false);
    return sessions.isOpen(sha256Hex(id));
  }

  public Future<Void> closeSession(String id) {
    if (id == null || id.isEmpty()) return Future.succeededFuture();
    return sessions.close(sha256Hex(id));
  }

  /**
   * Where admin sessions are kept, by the SHA-256 of their id: in this process, or, for a service
   * of instances, where every instance finds them.
   */
  public interface Sessions {
    Future<Void> open(String idDigest, long seconds);

    Future<Boolean> isOpen(String idDigest);

    Future<Void> close(String idDigest);
  }

  /** This process's admin sessions (a restart logs everyone out). */
  static final class InMemory implements Sessions {
    private final Map<String, Long> expiringAt = new ConcurrentHashMap<>();

    @Override
    public Future<Void> open(String idDigest, long seconds) {
      long now = System.currentTimeMillis();
      if (expiringAt.size() >= MAX_SESSIONS) expiringAt.values().removeIf(at -> at < now);
      if (expiringAt.size() >= MAX_SESSIONS) return Future.failedFuture(new IllegalStateException("too many admin sessions"));
      expiringAt.put(idDigest, now + seconds * 1000);
      return Future.succeededFuture();
    }

    @Override
    public Future<Boolean> isOpen(String idDigest) {
      Long expiresAt = expiringAt.get(idDigest);
      if (expiresAt == null) return Future.succeededFuture(false);
      if (expiresAt > System.currentTimeMillis()) return Future.succeededFuture(true);
      expiringAt.remove(idDigest);
      return Future.succeededFuture(false);
    }

    @Override
    public Future<Void> close(String idDigest) {
      expiringAt.remove(idDigest);
      return Future.succeededFuture();
    }
  }

  private static String sha256Hex(String s) {
    return java.util.HexFormat.of().formatHex(sha256(s));
  }

  private static String randomId() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
