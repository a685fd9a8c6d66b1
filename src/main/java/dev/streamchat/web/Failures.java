package dev.streamchat.web;

import dev.streamchat.app.FatalErrors;
import dev.streamchat.chat.Problem;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into a clear answer: JSON {"error"} for the API, a message in the page's
 * notice area for htmx requests, an error page otherwise. A stack trace is logged, never sent.
 */
final class Failures implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

  private final Views views;
  private final int maxBodyBytes;

  Failures(Views views, int maxBodyBytes) {
    this.views = views;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    FatalErrors.haltIfOutOfMemory(failure);
    int status;
    String message;
    if (failure instanceof Problem p) {
      status = p.status();
      message = p.getMessage();
      if (p.retryAfterSeconds() > 0 && !ctx.response().headWritten()) {
        ctx.response().putHeader("Retry-After", String.valueOf(p.retryAfterSeconds()));
      }
    } else if (failure instanceof DecodeException) {
      status = 400;
      message = "The body is not valid JSON.";
    } else if (failure != null && Bodies.failedWhileDecoding(ctx)) {
      status = 400;
      message = "The request body could not be decoded.";
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      // A 4xx Vert.x chose, with or without a cause (e.g. 400 for a request without a usable Host).
      status = ctx.statusCode();
      message = describe(status);
    } else {
      status = 500;
      message = "Something went wrong on the server; it has been logged.";
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
    }
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (ctx.request().path().startsWith("/api/") || ctx.request().path().endsWith("/stream")) {
      Http.json(ctx, status, new JsonObject().put("error", message));
    } else if (PageRoutes.isHtmx(ctx)) {
      ctx.response().putHeader("HX-Retarget", "#notice").putHeader("HX-Reswap", "innerHTML");
      PageRoutes.html(ctx, status, views.fragment(Views.CHAT, "notice", Map.of("message", message)));
    } else {
      PageRoutes.html(ctx, status, views.page(Views.ERROR, Map.of("status", status, "message", message)));
    }
  }

  private String describe(int status) {
    return switch (status) {
      case 400 -> "The request is malformed.";
      case 404 -> "Not found.";
      case 405 -> "Method not allowed.";
      case 413 -> "The request is too large: at most " + maxBodyBytes + " bytes.";
      case 415 -> "Unsupported content type.";
      default -> "The request was refused.";
    };
  }
}
