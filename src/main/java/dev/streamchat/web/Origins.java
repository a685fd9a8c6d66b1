package dev.streamchat.web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses state-changing requests sent from another origin (a cross-site form or script):
 * one whose {@code Origin} is absent or the app's own is served, any other gets 403.
 */
final class Origins implements Handler<RoutingContext> {

  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final Optional<String> publicOrigin;

  Origins(Optional<String> publicUrl) {
    this.publicOrigin = publicUrl.map(Origins::originOf);
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    if (SAFE.contains(req.method()) || allows(req)) {
      ctx.next();
    } else {
      ctx.fail(new dev.streamchat.chat.Problem(403, "Cross-origin request refused."));
    }
  }

  /**
   * True when the request has no {@code Origin} (a program) or the app's own. A WebSocket
   * handshake is a GET, so its handler asks this itself: cross-site WebSocket hijacking.
   */
  boolean allows(HttpServerRequest req) {
    String own = ownOrigin(req);
    return req.headers().getAll("Origin").stream().allMatch(origin -> origin.equalsIgnoreCase(own));
  }

  private String ownOrigin(HttpServerRequest req) {
    if (publicOrigin.isPresent()) return publicOrigin.get();
    String host = Optional.ofNullable(req.getHeader("X-Forwarded-Host")).map(h -> h.split(",")[0].strip())
        .orElse(req.getHeader("Host"));
    return (isHttps(req) ? "https" : "http") + "://" + host;
  }

  static boolean isHttps(HttpServerRequest req) {
    String proto = req.getHeader("X-Forwarded-Proto");
    if (proto != null) return proto.split(",")[0].strip().equalsIgnoreCase("https");
    return req.isSSL();
  }

  private static String originOf(String url) {
    URI u = URI.create(url.strip());
    String scheme = u.getScheme().toLowerCase(Locale.ROOT);
    boolean defaultPort = u.getPort() < 0 || (scheme.equals("http") && u.getPort() == 80)
        || (scheme.equals("https") && u.getPort() == 443);
    return scheme + "://" + u.getHost() + (defaultPort ? "" : ":" + u.getPort());
  }
}
