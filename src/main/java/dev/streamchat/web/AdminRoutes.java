package dev.streamchat.web;

import dev.streamchat.auth.Account;
import dev.streamchat.auth.Accounts;
import dev.streamchat.chat.Problem;
import dev.streamchat.ops.AdminAccess;
import dev.streamchat.ops.BufferingProxies;
import dev.streamchat.ops.Operations;
import dev.streamchat.ops.Viewers;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's side: the live admin page and its SSE stream, the admin API, /metrics and
 * /health. Everything but /health asks for the admin token (a bearer header, or the cookie that
 * logging in with the token sets).
 */
final class AdminRoutes {

  static final String ADMIN = "templates/admin.html";
  static final String LOGIN = "templates/admin-login.html";
  private static final String COOKIE = "streamchat_admin";
  /** The admin stream looks for changes this often and sends only the parts that changed. */
  static final long REFRESH_MS = 1000;
  private static final long KEEP_ALIVE_MS = 15_000;

  private final Vertx vertx;
  private final Operations ops;
  private final AdminAccess access;
  private final Views views;
  private final Accounts accounts;

  AdminRoutes(Vertx vertx, Operations ops, Views views, Accounts accounts) {
    this.vertx = vertx;
    this.ops = ops;
    this.access = ops.access();
    this.views = views;
    this.accounts = accounts;
  }

  /** /health (open, for load balancers) and /metrics (admin token, for Prometheus). */
  void mountProbes(Router router) {
    router.get("/health/live").handler(ctx -> Http.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health").handler(this::readiness);
    router.get("/health/ready").handler(this::readiness);
    Handler<RoutingContext> scrape = PrometheusScrapingHandler.create(ops.registry());
    router.get("/metrics").handler(ctx -> isAdmin(ctx).onSuccess(admin -> {
      if (admin) {
        scrape.handle(ctx);
      } else {
        ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"streamchat\"")
            .putHeader("Content-Type", "text/plain; charset=utf-8").end("admin token required\n");
      }
    }).onFailure(ctx::fail));
  }

  void mount(Router router) {
    router.get("/admin/login").handler(ctx -> isAdmin(ctx).onSuccess(admin -> {
      if (admin) redirect(ctx, "/admin");
      else login(ctx, 200, null);
    }).onFailure(ctx::fail));
    router.post("/admin/login").handler(this::logIn);
    router.post("/admin/logout").handler(this::logOut);
    router.get("/admin").handler(page(ctx -> adminPage(ctx, 200, null)));
    router.get("/admin/stream").handler(page(this::adminStream));
    router.post("/admin/streams/:gid/stop").handler(page(ctx -> ops.chat().stopAny(ctx.pathParam("gid"))
        .onSuccess(state -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail)));
    router.get("/api/admin/streams").handler(api(this::listStreams));
    router.get("/api/admin/proxies").handler(api(this::listProxies));
    router.post("/api/admin/streams/:gid/stop").handler(api(ctx -> ApiRoutes.reply(ctx,
        ops.chat().stopAny(ctx.pathParam("gid")), 200, state -> new JsonObject().put("state", state.wire()))));
    mountUsers(router);
  }

  /**
   * Users (issue 18): the list, disabling (their sessions and tokens stop, their answers stop) and
   * enabling, and invite links, for the admin page (forms in templates/admin-users.html) and the API.
   */
  private void mountUsers(Router router) {
    router.post("/admin/users/:id/disable").handler(page(ctx -> accounts.disable(ctx.pathParam("id"))
        .onSuccess(a -> redirect(ctx, "/admin")).onFailure(ctx::fail)));
    router.post("/admin/users/:id/enable").handler(page(ctx -> accounts.enable(ctx.pathParam("id"))
        .onSuccess(a -> redirect(ctx, "/admin")).onFailure(ctx::fail)));
    router.post("/admin/invites").handler(page(ctx -> accounts.createInvite()
        .onSuccess(code -> adminPage(ctx, 201, inviteUrl(ctx, code))).onFailure(ctx::fail)));
    router.get("/api/admin/users").handler(api(ctx -> ApiRoutes.reply(ctx, accounts.users(), 200, list -> {
      JsonArray out = new JsonArray();
      list.forEach(u -> out.add(user(u.account()).put("conversations", u.conversations())
          .put("storedBytes", u.storedBytes()).put("liveStreams", u.liveStreams())));
      return out;
    })));
    router.post("/api/admin/users/:id/disable").handler(api(ctx ->
        ApiRoutes.reply(ctx, accounts.disable(ctx.pathParam("id")), 200, AdminRoutes::user)));
    router.post("/api/admin/users/:id/enable").handler(api(ctx ->
        ApiRoutes.reply(ctx, accounts.enable(ctx.pathParam("id")), 200, AdminRoutes::user)));
    router.post("/api/admin/invites").handler(api(ctx ->
        ApiRoutes.reply(ctx, accounts.createInvite(), 201, code -> new JsonObject().put("url", inviteUrl(ctx, code)))));
  }

  private static JsonObject user(Account a) {
    return new JsonObject().put("id", a.id()).put("username", a.username()).put("disabled", a.disabled())
        .put("createdAt", a.createdAt()).put("lastSeenAt", a.lastSeenAt());
  }

  /** The sign-up link of an invite, on the origin the admin is using. */
  private static String inviteUrl(RoutingContext ctx, String code) {
    String host = ctx.request().getHeader("X-Forwarded-Host");
    if (host == null) host = ctx.request().getHeader("Host");
    return (Origins.isHttps(ctx.request()) ? "https" : "http") + "://" + host.split(",")[0].strip()
        + "/signup?invite=" + code;
  }

  /**
   * The admin cookie (a session of this instance, or of the service in Redis; an unreachable
   * session store counts as no session), or a bearer token. A token from an address that guessed
   * too often is a 429 (a failed future: the router's failure handler answers it) whether it is
   * right or not.
   */
  private Future<Boolean> isAdmin(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    Future<Boolean> session = cookie == null ? Future.succeededFuture(false)
        : access.isSession(cookie.getValue()).otherwise(false);
    return session.compose(open -> open ? Future.succeededFuture(true) : isBearer(ctx));
  }

  private Future<Boolean> isBearer(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null) return Future.succeededFuture(false);
    return refuseWhileLocked(ctx).compose(free -> access.isBearer(authorization) ? Future.succeededFuture(true)
        : access.failedAttemptInService(address(ctx)).map(false));
  }

  /** Fails with a 429 while this address has guessed too often (on any instance of a service). */
  private Future<Void> refuseWhileLocked(RoutingContext ctx) {
    return access.lockedSecondsInService(address(ctx)).compose(wait -> wait == 0 ? Future.succeededFuture()
        : Future.failedFuture(Problem.tooMany("Too many wrong admin tokens from this address; try again later.", wait)));
  }

  /** The peer's address (behind a reverse proxy: the proxy's, which all its clients share). */
  private static String address(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
  }

  /** An admin page or action; anyone else gets the login page with 401. */
  private Handler<RoutingContext> page(Handler<RoutingContext> handler) {
    return ctx -> isAdmin(ctx).onSuccess(admin -> {
      if (admin) {
        handler.handle(ctx);
      } else {
        if (PageRoutes.isHtmx(ctx)) ctx.response().putHeader("HX-Redirect", "/admin/login");
        login(ctx, 401, null);
      }
    }).onFailure(ctx::fail);
  }

  /** An admin API call; anyone else gets 401 JSON. */
  private Handler<RoutingContext> api(Handler<RoutingContext> handler) {
    return ctx -> isAdmin(ctx).onSuccess(admin -> {
      if (admin) handler.handle(ctx);
      else ctx.fail(new Problem(401, "The admin token is required: Authorization: Bearer <token>."));
    }).onFailure(ctx::fail);
  }

  private void login(RoutingContext ctx, int status, String message) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("message", message);
    PageRoutes.html(ctx, status, views.page(LOGIN, vars));
  }

  private void logIn(RoutingContext ctx) {
    String token = ctx.request().getFormAttribute("token");
    refuseWhileLocked(ctx).compose(free -> {
      if (access.isToken(token)) return access.openSession();
      return access.failedAttemptInService(address(ctx)).map((String) null);
    }).onFailure(ctx::fail).onSuccess(id -> {
      if (id == null) {
        login(ctx, 401, "That is not the admin token.");
        return;
      }
      ctx.response().addCookie(adminCookie(id, AdminAccess.SESSION_SECONDS, ctx));
      redirect(ctx, "/admin");
    });
  }

  private void logOut(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    access.closeSession(cookie == null ? null : cookie.getValue()).onFailure(ctx::fail).onSuccess(v -> {
      ctx.response().addCookie(adminCookie("", 0, ctx));
      redirect(ctx, "/admin/login");
    });
  }

  private static Cookie adminCookie(String value, long maxAgeSeconds, RoutingContext ctx) {
    return Cookie.cookie(COOKIE, value).setPath("/").setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
        .setMaxAge(maxAgeSeconds).setSecure(Origins.isHttps(ctx.request()));
  }

  private static void redirect(RoutingContext ctx, String path) {
    ctx.response().putHeader("Location", path).setStatusCode(303).end();
  }

  private void readiness(RoutingContext ctx) {
    ops.health().readiness().onSuccess(report -> {
      ctx.response().putHeader("Cache-Control", "no-store");
      Http.json(ctx, "UP".equals(report.getString("status")) ? 200 : 503, report);
    });
  }

  /** The admin page; {@code invite} is an invite link just made, shown once. */
  private void adminPage(RoutingContext ctx, int status, String invite) {
    var users = accounts.users();
    Future<AdminSnapshot> snapshot = titled(AdminSnapshot.take(ops));
    Future.all(users, snapshot).onSuccess(both -> {
      AdminSnapshot s = snapshot.result();
      Map<String, Object> vars = new HashMap<>();
      vars.put("totals", s.totals());
      vars.put("live", s.live());
      vars.put("ended", s.ended());
      vars.put("users", AccountRows.users(users.result()));
      vars.put("invite", invite);
      vars.put("charts", charts().charts());
      vars.put("proxies", BufferingProxies.of(vertx).reports());
      ctx.response().putHeader("Cache-Control", "no-store");
      PageRoutes.html(ctx, status, views.page(ADMIN, vars));
    }).onFailure(ctx::fail);
  }

  private AdminCharts charts() {
    long now = System.currentTimeMillis();
    return AdminCharts.of(ops.ended().recent(now, Integer.MAX_VALUE), now);
  }

  /**
   * The snapshot with each row's conversation title, looked up in one query (so a rename or a
   * deletion shows within a second). A failed lookup shows the rows untitled.
   */
  private Future<AdminSnapshot> titled(AdminSnapshot s) {
    java.util.Set<String> ids = s.conversationIds();
    if (ids.isEmpty()) return Future.succeededFuture(s);
    return ops.chat().store().titles(ids).map(s::withTitles).otherwise(s);
  }

  private void listStreams(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    for (GenerationStatus log : ops.streams().running()) {
      Viewers.Summary v = ops.viewers().summary(log.id());
      long lastSeq = log.lastSeq();
      out.add(new JsonObject().put("id", log.id()).put("conversationId", log.info().conversationId())
          .put("model", log.info().model()).put("state", log.state().wire()).put("chunks", lastSeq)
          .put("viewers", v.viewers()).put("ttftMs", log.ttftMs() < 0 ? null : log.ttftMs())
          .put("tokensPerSecond", log.tokensPerSecond()).put("startedAt", log.info().startedAt())
          .put("session", AdminSnapshot.shorten(log.info().owner()))
          .put("slowestViewerLag", v.viewers() == 0 ? null : Math.max(0, lastSeq - v.slowestLastSent()))
          .put("bytesSent", v.bytesSent())
          .put("heldChars", ops.filters().heldChars(log.id()))
          .put("lastActivityAt", Math.max(log.lastChunkAt(), v.lastWriteAt()))
          .put("instance", ops.streams().runsOn(log.id()).orElse(null)));
    }
    Http.json(ctx, 200, out);
  }

  /** The viewers whose page reported its stream held back by a proxy, the latest report first. */
  private void listProxies(RoutingContext ctx) {
    JsonArray out = new JsonArray();
    for (BufferingProxies.Report r : BufferingProxies.of(vertx).reports()) {
      out.add(new JsonObject().put("session", r.session()).put("kind", r.kind()).put("detail", r.detail())
          .put("userAgent", r.userAgent()).put("remoteAddress", r.remoteAddress())
          .put("forwardedFor", r.forwardedFor()).put("via", r.via()).put("reports", r.reports())
          .put("firstAt", r.firstAt()).put("lastAt", r.lastAt()));
    }
    Http.json(ctx, 200, out);
  }

  /**
   * The admin page's live updates: every {@value #REFRESH_MS} ms a snapshot is taken, and each
   * part (totals, live rows, ended rows) that differs from what this viewer last got is rendered
   * and sent as an event its element swaps in. Nothing changes, nothing is rendered or sent.
   */
  private void adminStream(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    Sse.open(response);
    response.write("retry: 2000\n\n");
    AdminSnapshot[] last = {null};
    AdminCharts[] lastCharts = {null};
    long[] lastWriteAt = {System.currentTimeMillis()};
    boolean[] busy = {false};
    long timer = vertx.setPeriodic(1, REFRESH_MS, t -> {
      // A slow admin browser, or a title lookup still under way, gets the next snapshot instead.
      if (response.writeQueueFull() || busy[0]) return;
      busy[0] = true;
      titled(AdminSnapshot.take(ops)).onComplete(ar -> {
        busy[0] = false;
        if (ar.succeeded() && !response.closed()) send(response, ar.result(), last, lastCharts, lastWriteAt);
      });
    });
    response.closeHandler(v -> vertx.cancelTimer(timer));
    response.exceptionHandler(err -> vertx.cancelTimer(timer));
  }

  /** Sends the parts of the snapshot that differ from what this viewer last got, or a keep-alive. */
  private void send(HttpServerResponse response, AdminSnapshot now, AdminSnapshot[] last, AdminCharts[] lastCharts,
      long[] lastWriteAt) {
    AdminSnapshot before = last[0];
    StringBuilder events = new StringBuilder();
    AdminCharts charts = charts();
    if (!charts.equals(lastCharts[0])) {
      events.append(Sse.event("charts", 0, views.fragment(ADMIN, "charts", Map.of("charts", charts.charts()))));
      lastCharts[0] = charts;
    }
    if (before == null || !now.totals().equals(before.totals())) {
      events.append(Sse.event("totals", 0, views.fragment(ADMIN, "totals", Map.of("totals", now.totals()))));
    }
    if (before == null || !now.live().equals(before.live())) {
      events.append(Sse.event("live", 0, views.fragment(ADMIN, "live", Map.of("live", now.live()))));
    }
    if (before == null || !now.ended().equals(before.ended())) {
      events.append(Sse.event("ended", 0, views.fragment(ADMIN, "ended", Map.of("ended", now.ended()))));
    }
    last[0] = now;
    long at = System.currentTimeMillis();
    if (events.length() > 0) {
      response.write(events.toString());
      lastWriteAt[0] = at;
    } else if (at - lastWriteAt[0] >= KEEP_ALIVE_MS) {
      response.write(": keep-alive\n\n");
      lastWriteAt[0] = at;
    }
  }
}
