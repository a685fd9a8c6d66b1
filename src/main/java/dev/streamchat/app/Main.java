package dev.streamchat.app;

import dev.streamchat.ops.Telemetry;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar streamchat.jar}: configuration from the environment, then boot. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    Config config;
    try {
      config = Config.fromEnv();
    } catch (IllegalArgumentException e) {
      System.err.println("streamchat: " + e.getMessage());
      System.exit(2);
      return;
    }
    Vertx vertx = Telemetry.newVertx(config.eventLoops());
    FatalErrors.install(vertx);
    App app = new App(config);
    vertx.deployVerticle(app).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("listening on port {}", app.port());
      } else {
        LOG.error("streamchat could not start: {}", ar.cause().getMessage(), ar.cause());
        // Not on this event loop: exit runs the shutdown hook, whose vertx.close() needs this loop.
        new Thread(() -> System.exit(1), "streamchat-exit").start();
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("shutdown did not finish cleanly: {}", e.toString());
      }
    }, "streamchat-shutdown"));
  }
}
