package dev.streamchat.web;

import dev.streamchat.app.Config;
import dev.streamchat.chat.ChatService;
import dev.streamchat.ops.Operations;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/** The HTTP side: pages, fragments, SSE and the JSON API. Never blocks its event loop. */
public final class WebVerticle extends VerticleBase {

  /** KaTeX sets the size and place of each glyph in a style attribute: those, not style elements. */
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "style-src-attr 'unsafe-inline'; font-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private final Config config;
  private final ChatService chat;
  private final Operations ops;
  private HttpServer server;

  public WebVerticle(Config config, ChatService chat, Operations ops) {
    this.config = config;
    this.chat = chat;
    this.ops = ops;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> Csrf.secret(config.dataDir())).compose(secret -> listen(new Csrf(secret)));
  }

  private Future<?> listen(Csrf csrf) {
    Views views = new Views(vertx);
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response().putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "same-origin")
          .putHeader("X-Frame-Options", "DENY")
          .putHeader("Content-Security-Policy", CSP);
      ctx.next();
    });
    router.route("/static/*").handler(StaticHandler.create("webroot"));
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
    AdminRoutes admin = new AdminRoutes(vertx, ops, views);
    admin.mountProbes(router); // before Sessions: scrapers and load balancers get no chat cookie
    router.route().handler(new Sessions(config.limits().sessionDays()));
    router.route().handler(new Origins(config.publicUrl()));
    Bodies.mount(router, config.maxBodyBytes());
    router.route().handler(csrf);
    new ApiRoutes(vertx, chat).mount(router);
    new PageRoutes(vertx, chat, views, csrf).mount(router);
    admin.mount(router);
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(new Failures(views, config.maxBodyBytes()));

    // Port 0 asks for any free port; -1 lets every instance of this verticle share that one port.
    int port = config.port() == 0 ? -1 : config.port();
    // Oversized request lines and headers are answered by Vert.x itself: 414 and 431.
    HttpServerOptions options = new HttpServerOptions().setCompressionSupported(false)
        .setMaxHeaderSize(config.limits().maxHeaderBytes())
        .setMaxInitialLineLength(config.limits().maxUrlChars())
        // A page's form field may be as long as a message may be (Vert.x's default is 8 KiB).
        .setMaxFormAttributeSize(config.maxBodyBytes());
    return vertx.createHttpServer(options)
        .requestHandler(router)
        .listen(port)
        .onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server.actualPort();
  }
}
