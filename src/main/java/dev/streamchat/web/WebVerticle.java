package dev.streamchat.web;

import dev.streamchat.app.Config;
import dev.streamchat.auth.Accounts;
import dev.streamchat.chat.ChatService;
import dev.streamchat.ops.Operations;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;

/** The HTTP side: pages, fragments, SSE and the JSON API. Never blocks its event loop. */
public final class WebVerticle extends VerticleBase {

  /** KaTeX sets the size and place of each glyph in a style attribute: those, not style elements. */
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "style-src-attr 'unsafe-inline'; font-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  /** Smaller responses gain too little from compression to pay for it. */
  private static final int COMPRESS_FROM_BYTES = 1024;
  private static final int DEAD_CONNECTION_SECONDS = 120;
  private static final String LISTEN_LOCK = "streamchat.web.listen";

  private final Config config;
  private final ChatService chat;
  private final Operations ops;
  private final Accounts accounts;
  private HttpServer server;
  private Router router;

  /** The CSRF key of a service of several instances; null: the one in this instance's data dir. */
  private final byte[] sharedCsrfKey;

  public WebVerticle(Config config, ChatService chat, Operations ops, Accounts accounts) {
    this(config, chat, ops, accounts, null);
  }

  public WebVerticle(Config config, ChatService chat, Operations ops, Accounts accounts, byte[] sharedCsrfKey) {
    this.config = config;
    this.chat = chat;
    this.ops = ops;
    this.accounts = accounts;
    this.sharedCsrfKey = sharedCsrfKey;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(Assets::load).compose(assets -> vertx.executeBlocking(
            () -> sharedCsrfKey != null ? sharedCsrfKey : Csrf.secret(config.dataDir()))
        .compose(secret -> listen(new Csrf(secret), assets)));
  }

  private Future<?> listen(Csrf csrf, Assets assets) {
    Views views = new Views(vertx, assets);
    router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response().putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "same-origin")
          .putHeader("X-Frame-Options", "DENY")
          .putHeader("Content-Security-Policy", CSP);
      // Responses are compressed when the client accepts it, but never an event stream (Sse.open).
      // No headers-end handler here: the response would hold it, and with it this routing
      // context, for as long as it is open: an hour for each viewer of an event stream.
      ctx.next();
    });
    router.get("/static/*").handler(assets::serve);
    router.get("/webjars/*").handler(assets::serve);
    router.route("/static/*").handler(StaticHandler.create("webroot"));
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
    router.get("/favicon.ico").handler(ctx -> ctx.reroute("/static/favicon.svg"));
    AdminRoutes admin = new AdminRoutes(vertx, ops, views, accounts);
    admin.mountProbes(router); // before Sessions: scrapers and load balancers get no chat cookie
    // The (bounded) body is read first: Sessions may look the session up in the database, and a
    // request body must not wait unread meanwhile. Sessions says who the request is (token,
    // signed-in cookie, proxy header or anonymous) and, when signing in is required, turns away
    // everyone else.
    Bodies.mount(router, config.maxBodyBytes());
    Sessions sessions = new Sessions(accounts, config.limits().sessionDays());
    router.route().handler(sessions);
    Origins origins = new Origins(config.publicUrl());
    router.route().handler(origins);
    router.route().handler(csrf);
    SignIns signIns = new SignIns(accounts, sessions);
    new AuthApiRoutes(signIns).mount(router);
    new AuthPageRoutes(signIns, views, csrf).mount(router);
    new ApiRoutes(vertx, chat).mount(router);
    new PageRoutes(vertx, chat, views, csrf, config.pageTransport()).mount(router);
    new LiveRoutes(vertx).mount(router);
    new WebSocketStreams(vertx, chat, origins, views).mount(router);
    admin.mount(router);
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(new Failures(views, config.maxBodyBytes()));

    // Port 0 asks for any free port; -1 lets every instance of this verticle share that one port.
    int port = config.port() == 0 ? -1 : config.port();
    // Oversized request lines and headers are answered by Vert.x itself: 414 and 431.
    HttpServerOptions options = new HttpServerOptions().setCompressionSupported(true)
        .setCompressionContentSizeThreshold(COMPRESS_FROM_BYTES)
        .setMaxHeaderSize(config.limits().maxHeaderBytes())
        .setMaxInitialLineLength(config.limits().maxUrlChars())
        // A page's form field may be as long as a message may be (Vert.x's default is 8 KiB).
        .setMaxFormAttributeSize(config.maxBodyBytes())
        // Last resort for a connection where nothing moves either way; event streams send a
        // comment every 15 s, so this never ends a live one. Slow requests: ConnectionGuard.
        .setIdleTimeout(DEAD_CONNECTION_SECONDS)
        // HTTP/1.1 only: looking for a cleartext HTTP/2 preface, Vert.x makes a connection known
        // (to ConnectionGuard) only once bytes arrive, and a silent socket would escape the guard.
        .setHttp2ClearTextEnabled(false)
        // Every response is written on its connection's event loop (handlers, feeds and their
        // sinks run there): Vert.x then writes straight to the channel instead of through a
        // queue of its own per connection, 4.6 KiB of heap each, idle viewers included.
        .setStrictThreadMode(true)
        // No WebSocket compression: Vert.x would put its handshakers in every HTTP/1.1 connection's
        // pipeline, ~200 B of heap each idle SSE viewer, and permessage-deflate keeps a zlib
        // deflater (~256 KiB native) per socket once it has sent one, for messages of a token or two.
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
    // HTTPS: HTTP/2 for browsers that offer it by ALPN (every tab's streams share one connection),
    // HTTP/1.1 for the others.
    config.tls().ifPresent(tls -> options.setSsl(true).setUseAlpn(true).setKeyCertOptions(tls.keyCert())
        .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)));
    Config.Faults faults = config.faults();
    int instances = Math.max(1, context.getInstanceCount());
    ConnectionGuard guard = new ConnectionGuard((faults.maxConnections() + instances - 1) / instances,
        faults.headerTimeoutMs(), faults.bodyTimeoutMs(), faults.keepAliveTimeoutMs());
    guard.start(vertx);
    HttpServer created = vertx.createHttpServer(options)
        .connectionHandler(guard::connected)
        .requestHandler(guard.wrap(router));
    // The instances share one port. One that joins while the first is still binding copies the
    // first's metrics before they exist, and connections handed to it then hit a null socket
    // metric in Vert.x's HTTP metrics and are never answered (about one start in ten). So the
    // instances listen one at a time, each once the one before is bound.
    return vertx.sharedData().getLocalLockWithTimeout(LISTEN_LOCK, 30_000)
        .compose(lock -> created.listen(port).andThen(done -> lock.release()))
        .map(s -> {
          server = s;
          return s;
        });
  }

  /** Every route, in order (the accounts-mode test checks that each one asks for sign-in). */
  public java.util.List<io.vertx.ext.web.Route> routes() {
    return router.getRoutes();
  }

  public int actualPort() {
    return server.actualPort();
  }
}
