package dev.streamchat.web;

import dev.streamchat.chat.Problem;
import dev.streamchat.ops.BufferingProxies;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * What a page tells the server about its live streams: {@code POST /live/buffering} when it found
 * them held back by something on the way (a page POST: CSRF token required). The admin page lists
 * these viewers with how to fix the proxy.
 */
final class LiveRoutes {

  private static final Set<String> KINDS = Set.of("lumps", "silent");
  private static final int MAX_FIELD = 200;

  private final BufferingProxies proxies;

  LiveRoutes(Vertx vertx) {
    this.proxies = BufferingProxies.of(vertx);
  }

  void mount(Router router) {
    router.post("/live/buffering").handler(this::buffering);
  }

  private void buffering(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    String kind = Http.string(body, "kind");
    if (kind == null || !KINDS.contains(kind)) throw Problem.badRequest("kind must be one of " + KINDS + ".");
    HttpServerRequest req = ctx.request();
    proxies.report(AdminSnapshot.shorten(Sessions.owner(ctx)), kind, clip(Http.string(body, "detail")),
        clip(req.getHeader("User-Agent")), req.remoteAddress() == null ? null : req.remoteAddress().hostAddress(),
        clip(req.getHeader("X-Forwarded-For")), clip(req.getHeader("Via")));
    ctx.response().setStatusCode(204).end();
  }

  private static String clip(String s) {
    if (s == null) return null;
    String line = s.replaceAll("\\p{Cntrl}", " ").strip();
    return line.length() > MAX_FIELD ? line.substring(0, MAX_FIELD) : line;
  }
}
