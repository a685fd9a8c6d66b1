package dev.streamchat.web;

import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Identifies the person by a random cookie. The server keeps no session state: what a session
 * owns is stored under a hash of its cookie, so sessions outlive restarts and a leaked database
 * does not reveal cookies.
 */
final class Sessions implements Handler<RoutingContext> {

  static final String COOKIE = "streamchat_session";
  private static final String OWNER = "owner";
  private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9_-]{43}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final long maxAgeSeconds;

  /**
   * Sessions expire in the browser {@code days} after they were made (cookie Max-Age). The
   * server keeps no session state, so it cannot expire one itself: see SECURITY.md.
   */
  Sessions(int days) {
    this.maxAgeSeconds = days * 24L * 3600;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    String sid = cookie == null ? null : cookie.getValue();
    if (sid == null || !WELL_FORMED.matcher(sid).matches()) sid = issue(ctx, maxAgeSeconds);
    ctx.put(OWNER, hash(sid));
    ctx.next();
  }

  private static String issue(RoutingContext ctx, long maxAgeSeconds) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String sid = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    ctx.response().addCookie(Cookie.cookie(COOKIE, sid).setPath("/").setHttpOnly(true)
        .setSameSite(CookieSameSite.LAX).setMaxAge(maxAgeSeconds)
        .setSecure(Origins.isHttps(ctx.request())));
    return sid;
  }

  /** The owner id of the request's session. */
  static String owner(RoutingContext ctx) {
    return ctx.get(OWNER);
  }

  private static String hash(String sid) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(sid.getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
