package dev.streamchat.testing;

import dev.streamchat.app.App;
import dev.streamchat.app.Config;
import dev.streamchat.ops.Telemetry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The whole app, in this JVM, on a random port, with its own data dir. */
public final class TestServer implements AutoCloseable {

  private final Vertx vertx;
  private final App app;
  private final Path dataDir;
  private final boolean ownsDataDir;

  private TestServer(Map<String, String> env, Path dataDir, boolean ownsDataDir) throws Exception {
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    Map<String, String> all = new HashMap<>(env);
    all.putIfAbsent("STREAMCHAT_PORT", "0");
    liftLoopDelayAdmission(all);
    all.put("STREAMCHAT_DATA_DIR", dataDir.toString());
    Config config = Config.from(all);
    this.vertx = Telemetry.newVertx(config.eventLoops());
    this.app = new App(config);
    vertx.deployVerticle(app).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A server with the given environment variables over the defaults (port 0, a fresh data dir). */
  public static TestServer start(Map<String, String> env) throws Exception {
    return new TestServer(env, Files.createTempDirectory("streamchat-test"), true);
  }

  /**
   * One instance of a service (the environment names its Redis and PostgreSQL) on a free port of
   * its own, known before it starts: the port is its address in the service.
   */
  public static TestServer instance(Map<String, String> env) throws Exception {
    int port = TestRedis.freePort();
    Map<String, String> all = new HashMap<>(env);
    all.put("STREAMCHAT_PORT", Integer.toString(port));
    all.put("STREAMCHAT_INSTANCE_ADDRESS", "127.0.0.1:" + port);
    return start(all);
  }

  /** A server on an existing data dir, which it leaves in place when closed. */
  public static TestServer startOn(Path dataDir, Map<String, String> env) throws Exception {
    return new TestServer(env, dataDir, false);
  }

  public int port() {
    return app.port();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  public App app() {
    return app;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** A new client: its own cookie jar, so its own session. */
  public ApiClient client() {
    return new ApiClient(url(""));
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (ownsDataDir) deleteTree(dataDir);
  }

  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * A test machine is shared and noisy: admission by event-loop delay would refuse answers at
   * random. For every streamchat a test starts (in this JVM or a child process); the tests of
   * admission set it themselves, and the pending-text bound stays at its default.
   */
  public static void liftLoopDelayAdmission(Map<String, String> env) {
    env.putIfAbsent("STREAMCHAT_ADMIT_MAX_LOOP_DELAY_MS", "600000");
  }
}
