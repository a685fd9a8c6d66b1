package dev.streamchat.web;

import dev.streamchat.auth.Account;
import dev.streamchat.auth.Accounts;
import dev.streamchat.auth.AuthSettings;
import dev.streamchat.auth.Secrets;
import dev.streamchat.chat.Problem;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Says who a request is and so whose data it reaches ({@link #owner}): an account, named by an
 * API token ({@code Authorization: Bearer}, API routes), by a signed-in session cookie, or (proxy
 * mode) by the proxy's header from a trusted address; otherwise an anonymous session, a random
 * cookie whose SHA-256 is the owner id (so sessions outlive restarts and a leaked database holds
 * no usable cookies). In accounts mode an anonymous request reaches only the sign-in pages; in
 * proxy mode nothing without the proxy. The admin routes have their own token and pass through.
 */
final class Sessions implements Handler<RoutingContext> {

  static final String COOKIE = "streamchat_session";
  private static final String OWNER = "owner";
  private static final String ACCOUNT = "account";
  private static final String SESSION = "sessionDigest";
  private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9_-]{43}");
  /** What an anonymous request may reach in accounts mode (health and static are mounted before). */
  private static final Set<String> OPEN_PATHS = Set.of("/signin", "/signup", "/api/auth/login", "/api/auth/signup");

  private final Accounts accounts;
  private final long maxAgeSeconds;

  /**
   * Sessions expire in the browser {@code days} after they were made (cookie Max-Age); a
   * signed-in one also ends when its person signs out (everywhere) or is disabled.
   */
  Sessions(Accounts accounts, int days) {
    this.accounts = accounts;
    this.maxAgeSeconds = days * 24L * 3600;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.request().path();
    boolean admin = path.equals("/admin") || path.startsWith("/admin/") || path.startsWith("/api/admin/");
    String bearer = bearer(ctx);
    if (bearer != null && path.startsWith("/api/") && !admin) {
      accounts.tokenAccount(bearer).onComplete(ar -> {
        if (ar.failed()) ctx.fail(ar.cause());
        else if (ar.result().isEmpty()) ctx.fail(new Problem(401, "The API token is not valid: it is unknown, revoked, or its user is disabled."));
        else signedIn(ctx, ar.result().get(), null);
      });
      return;
    }
    if (accounts.settings().mode() == AuthSettings.Mode.PROXY && !admin) {
      fromProxy(ctx);
      return;
    }
    String cookie = sessionCookie(ctx.request());
    String sid = cookie == null || !WELL_FORMED.matcher(cookie).matches() ? null : cookie;
    String digest = sid == null ? null : Secrets.digest(sid);
    Future<Optional<Account>> account = digest == null ? Future.succeededFuture(Optional.empty())
        : accounts.sessionAccount(digest);
    account.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isPresent()) {
        signedIn(ctx, ar.result().get(), digest);
      } else {
        String anonymous = digest != null ? digest : Secrets.digest(issue(ctx));
        ctx.put(OWNER, anonymous).put(SESSION, anonymous);
        if (accounts.settings().mode() == AuthSettings.Mode.ACCOUNTS && !admin && !OPEN_PATHS.contains(path)) {
          signInRequired(ctx);
        } else {
          ctx.next();
        }
      }
    });
  }

  /** Proxy mode: the header names the user, believed only from a trusted proxy's address. */
  private void fromProxy(RoutingContext ctx) {
    String header = accounts.settings().proxyHeader().orElseThrow();
    String named = ctx.request().getHeader(header);
    String from = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host();
    if (named == null || named.isBlank() || !accounts.settings().trustedProxies().contains(from)) {
      ctx.fail(new Problem(401, "Sign in through this server's sign-in proxy."));
      return;
    }
    accounts.proxyAccount(named).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else signedIn(ctx, ar.result(), null);
    });
  }

  private static void signedIn(RoutingContext ctx, Account account, String sessionDigest) {
    ctx.put(OWNER, account.owner()).put(ACCOUNT, account);
    if (sessionDigest != null) ctx.put(SESSION, sessionDigest);
    ctx.next();
  }

  /** Pages send the browser to the sign-in page; the API and event streams answer 401. */
  private static void signInRequired(RoutingContext ctx) {
    String path = ctx.request().path();
    boolean page = ctx.request().method() == HttpMethod.GET && !path.startsWith("/api/") && !path.endsWith("/stream");
    if (page && !PageRoutes.isHtmx(ctx)) {
      ctx.response().putHeader("Location", "/signin").setStatusCode(303).end();
      return;
    }
    if (PageRoutes.isHtmx(ctx)) ctx.response().putHeader("HX-Redirect", "/signin");
    ctx.fail(new Problem(401, "Sign in first."));
  }

  /**
   * The session cookie's value, or null. Decoded here, as Vert.x does, rather than through the
   * request's cookie jar: the response keeps that jar as long as it is open, an hour for each
   * viewer of an event stream.
   */
  static String sessionCookie(HttpServerRequest request) {
    String header = request.getHeader(HttpHeaders.COOKIE);
    if (header == null) return null;
    for (io.netty.handler.codec.http.cookie.Cookie c : ServerCookieDecoder.STRICT.decode(header)) {
      if (c.name().equals(COOKIE)) return c.value();
    }
    return null;
  }

  /** The token of an {@code Authorization: Bearer} header, or null. */
  private static String bearer(RoutingContext ctx) {
    String h = ctx.request().getHeader("Authorization");
    return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
  }

  /** A new anonymous session: its cookie is set on the response and its id answered. */
  private String issue(RoutingContext ctx) {
    String sid = Secrets.random();
    setCookie(ctx, sid, maxAgeSeconds);
    return sid;
  }

  /** Sets the session cookie (a new one at sign-in and sign-out: the id is never reused across them). */
  void setCookie(RoutingContext ctx, String sid) {
    setCookie(ctx, sid, maxAgeSeconds);
  }

  private static void setCookie(RoutingContext ctx, String sid, long maxAgeSeconds) {
    ctx.response().addCookie(Cookie.cookie(COOKIE, sid).setPath("/").setHttpOnly(true)
        .setSameSite(CookieSameSite.LAX).setMaxAge(maxAgeSeconds)
        .setSecure(Origins.isHttps(ctx.request())));
  }

  /** The owner id of the request: the account's when signed in, else the anonymous session's. */
  static String owner(RoutingContext ctx) {
    return ctx.get(OWNER);
  }

  /** The signed-in account, or null. */
  static Account account(RoutingContext ctx) {
    return ctx.get(ACCOUNT);
  }

  /**
   * The digest of the request's session cookie (anonymous or signed in), or null when the
   * request is named by a token or the proxy.
   */
  static String sessionDigest(RoutingContext ctx) {
    return ctx.get(SESSION);
  }

  /** What the CSRF token is bound to: the browser session, or the account when there is no cookie. */
  static String csrfSubject(RoutingContext ctx) {
    String session = sessionDigest(ctx);
    return session != null ? session : owner(ctx);
  }
}
