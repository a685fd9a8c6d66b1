package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import dev.streamchat.ops.AdminAccess;
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
import java.util.HashMap;
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

  AdminRoutes(Vertx vertx, Operations ops, Views views) {
    this.vertx = vertx;
    this.ops = ops;
    this.access = ops.access();
    this.views = views;
  }

  /** /health (open, for load balancers) and /metrics (admin token, for Prometheus). */
  void mountProbes(Router router) {
    router.get("/health/live").handler(ctx -> Http.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health").handler(this::readiness);
    router.get("/health/ready").handler(this::readiness);
    Handler<RoutingContext> scrape = PrometheusScrapingHandler.create(ops.registry());
    router.get("/metrics").handler(ctx -> {
      if (isAdmin(ctx)) {
        scrape.handle(ctx);
      } else {
        ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"streamchat\"")
            .putHeader("Content-Type", "text/plain; charset=utf-8").end("admin token required\n");
      }
    });
  }

  void mount(Router router) {
    router.get("/admin/login").handler(ctx -> {
      if (isAdmin(ctx)) redirect(ctx, "/admin");
      else login(ctx, 200, null);
    });
    router.post("/admin/login").handler(this::logIn);
    router.post("/admin/logout").handler(this::logOut);
    router.get("/admin").handler(page(this::adminPage));
    router.get("/admin/stream").handler(page(this::adminStream));
    router.post("/admin/streams/:gid/stop").handler(page(ctx -> ops.chat().stopAny(ctx.pathParam("gid"))
        .onSuccess(state -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail)));
    router.get("/api/admin/streams").handler(api(this::listStreams));
    router.post("/api/admin/streams/:gid/stop").handler(api(ctx -> ApiRoutes.reply(ctx,
        ops.chat().stopAny(ctx.pathParam("gid")), 200, state -> new JsonObject().put("state", state.wire()))));
  }

  private boolean isAdmin(RoutingContext ctx) {
    if (access.isBearer(ctx.request().getHeader("Authorization"))) return true;
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return cookie != null && access.isSession(cookie.getValue());
  }

  /** An admin page or action; anyone else gets the login page with 401. */
  private Handler<RoutingContext> page(Handler<RoutingContext> handler) {
    return ctx -> {
      if (isAdmin(ctx)) {
        handler.handle(ctx);
      } else {
        if (PageRoutes.isHtmx(ctx)) ctx.response().putHeader("HX-Redirect", "/admin/login");
        login(ctx, 401, null);
      }
    };
  }

  /** An admin API call; anyone else gets 401 JSON. */
  private Handler<RoutingContext> api(Handler<RoutingContext> handler) {
    return ctx -> {
      if (isAdmin(ctx)) handler.handle(ctx);
      else ctx.fail(new Problem(401, "The admin token is required: Authorization: Bearer <token>."));
    };
  }

  private void login(RoutingContext ctx, int status, String message) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("message", message);
    PageRoutes.html(ctx, status, views.page(LOGIN, vars));
  }

  private void logIn(RoutingContext ctx) {
    if (!access.isToken(ctx.request().getFormAttribute("token"))) {
      login(ctx, 401, "That is not the admin token.");
      return;
    }
    ctx.response().addCookie(adminCookie(access.openSession(), AdminAccess.SESSION_SECONDS, ctx));
    redirect(ctx, "/admin");
  }

  private void logOut(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    if (cookie != null) access.closeSession(cookie.getValue());
    ctx.response().addCookie(adminCookie("", 0, ctx));
    redirect(ctx, "/admin/login");
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

  private void adminPage(RoutingContext ctx) {
    AdminSnapshot s = AdminSnapshot.take(ops);
    Map<String, Object> vars = new HashMap<>();
    vars.put("totals", s.totals());
    vars.put("live", s.live());
    vars.put("ended", s.ended());
    ctx.response().putHeader("Cache-Control", "no-store");
    PageRoutes.html(ctx, 200, views.page(ADMIN, vars));
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
          .put("lastActivityAt", Math.max(log.lastChunkAt(), v.lastWriteAt())));
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
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache, no-transform")
        .putHeader("X-Accel-Buffering", "no");
    response.write("retry: 2000\n\n");
    AdminSnapshot[] last = {null};
    long[] lastWriteAt = {System.currentTimeMillis()};
    long timer = vertx.setPeriodic(1, REFRESH_MS, t -> {
      if (response.writeQueueFull()) return; // a slow admin browser gets the next snapshot instead
      AdminSnapshot now = AdminSnapshot.take(ops);
      AdminSnapshot before = last[0];
      StringBuilder events = new StringBuilder();
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
    });
    response.closeHandler(v -> vertx.cancelTimer(timer));
    response.exceptionHandler(err -> vertx.cancelTimer(timer));
  }
}
