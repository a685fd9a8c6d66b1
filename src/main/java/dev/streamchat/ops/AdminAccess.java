package dev.streamchat.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the admin page, API and metrics: whoever knows the admin token. Programs send it as
 * a bearer token; people log in once and get a random admin-session id in a cookie, kept in memory
 * here (so the cookie never holds the token, logout revokes it, and a restart logs everyone out).
 */
public final class AdminAccess {

  private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  public static final long SESSION_SECONDS = 12 * 3600;
  private static final int MAX_SESSIONS = 1_000;

  private final byte[] tokenDigest;
  private final Map<String, Long> sessionsExpiringAt = new ConcurrentHashMap<>();

  private AdminAccess(String token) {
    this.tokenDigest = sha256(token);
  }

  /** The configured token, or a random one that is logged once so the operator can use it. */
  public static AdminAccess from(Optional<String> configured) {
    if (configured.isPresent()) return new AdminAccess(configured.get());
    String generated = randomId();
    LOG.warn("STREAMCHAT_ADMIN_TOKEN is not set; this run's admin token is {}", generated);
    return new AdminAccess(generated);
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

  public String openSession() {
    long now = System.currentTimeMillis();
    if (sessionsExpiringAt.size() >= MAX_SESSIONS) sessionsExpiringAt.values().removeIf(at -> at < now);
    if (sessionsExpiringAt.size() >= MAX_SESSIONS) throw new IllegalStateException("too many admin sessions");
    String id = randomId();
    sessionsExpiringAt.put(id, now + SESSION_SECONDS * 1000);
    return id;
  }

  public boolean isSession(String id) {
    if (id == null) return false;
    Long expiresAt = sessionsExpiringAt.get(id);
    if (expiresAt == null) return false;
    if (expiresAt > System.currentTimeMillis()) return true;
    sessionsExpiringAt.remove(id);
    return false;
  }

  public void closeSession(String id) {
    if (id != null) sessionsExpiringAt.remove(id);
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
