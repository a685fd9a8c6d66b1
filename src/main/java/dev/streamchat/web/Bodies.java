package dev.streamchat.web;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Reads request bodies, bounded, for the methods that carry one (Vert.x's BodyHandler throws on a
 * GET that claims a form content type). A body that cannot be decoded (a malformed form: bad
 * percent escapes, an empty field name, a broken multipart) fails while it is read; such a
 * failure is the caller's mistake, so {@link Failures} answers it with 400, not 500.
 */
final class Bodies {

  private static final String DECODING = "streamchat.decodingBody";

  private Bodies() {
  }

  static void mount(Router router, int maxBodyBytes) {
    methodsWithBody(router.route()).handler(ctx -> {
      ctx.put(DECODING, Boolean.TRUE);
      ctx.next();
    });
    methodsWithBody(router.route()).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    methodsWithBody(router.route()).handler(ctx -> {
      ctx.remove(DECODING);
      ctx.next();
    });
  }

  /** True when the failure happened while the body was being read and decoded. */
  static boolean failedWhileDecoding(RoutingContext ctx) {
    return Boolean.TRUE.equals(ctx.get(DECODING));
  }

  private static Route methodsWithBody(Route route) {
    return route.method(HttpMethod.POST).method(HttpMethod.PUT).method(HttpMethod.PATCH).method(HttpMethod.DELETE);
  }
}
