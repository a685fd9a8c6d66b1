package dev.streamchat.bench;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The streaming benchmark: a fake model server, nginx and streamchat (the built jar, a child
 * process) on this machine, measured by non-blocking clients in this JVM; writes BENCHMARKS.md
 * and SVG plots. Usage: {@code java -jar streamchat-bench.jar <repo dir> [quick]}.
 */
public final class Bench {

  static final int TPS = 20;

  final Path repo;
  final boolean quick;
  final Path work;
  final Path jar;
  final Vertx modelVertx;
  final Vertx clientVertx;
  final Http http;
  int modelPort;
  final Report report;
  List<String> only = List.of();

  Bench(Path repo, boolean quick) throws Exception {
    this.repo = repo;
    this.quick = quick;
    this.work = Files.createTempDirectory("streamchat-bench");
    this.jar = repo.resolve("target/streamchat.jar");
    // The model and the clients get their own event loops, apart from each other.
    this.modelVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    this.clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    this.http = new Http(clientVertx);
    this.report = new Report(repo, quick);
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    boolean quick = args.length > 1 && args[1].equals("quick");
    Bench b = new Bench(repo, quick);
    if (args.length > 2) b.only = List.of(args[2].split(","));
    long t0 = System.nanoTime();
    try {
      b.run();
    } finally {
      b.report.totalSeconds = (System.nanoTime() - t0) / 1e9;
      b.report.write();
      b.modelVertx.close();
      b.clientVertx.close();
    }
    System.exit(0);
  }

  void run() throws Exception {
    modelPort = freePort();
    await(modelVertx.deployVerticle(() -> new FakeModelServer(modelPort), new DeploymentOptions().setInstances(2)));
    log("fake model server on 127.0.0.1:" + modelPort);
    phase("latency", this::latency);
    phase("concurrency", this::concurrency);
    phase("fan-out", this::fanOut);
    phase("resume", this::resume);
    phase("memory", this::memory);
  }

  interface Phase {
    void run() throws Exception;
  }

  void phase(String name, Phase p) {
    if (!only.isEmpty() && !only.contains(name)) return;
    long t = System.nanoTime();
    log("== " + name);
    try {
      p.run();
    } catch (Exception e) {
      report.notes.add("The " + name + " phase failed: " + e);
      e.printStackTrace();
    }
    log("== " + name + " took " + Math.round((System.nanoTime() - t) / 1e9) + " s");
  }

  Map<String, String> openAiEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + modelPort + "/v1");
    env.put("OPENAI_API_KEY", "bench");
    return env;
  }

  AppProcess startApp(String name, Map<String, String> env) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    return AppProcess.start(jar, dir.resolve("data"), env, dir.resolve("streamchat.log"));
  }

  String openAiModel(AppProcess app) throws Exception {
    JsonArray models = new JsonArray(await(http.call(HttpMethod.GET, app.port, "/api/models", null, null)).body());
    for (Object o : models) {
      JsonObject m = (JsonObject) o;
      if ("openai".equals(m.getString("provider"))) return m.getString("id");
    }
    throw new IllegalStateException("streamchat lists no OpenAI-compatible model: " + models);
  }

  // ---------------------------------------------------------------- 2. added latency per path

  void latency() throws Exception {
    int streams = 100;
    int tokens = quick ? 100 : 200;
    String prompt = "tps=" + TPS + " tokens=" + tokens + " ttft=500";
    Map<String, Recorder> paths = new LinkedHashMap<>();
    try (Nginx nginx = Nginx.start(work.resolve("nginx"), freePort(), modelPort);
         AppProcess app = startApp("latency", openAiEnv())) {
      report.nginxVersion = Nginx.version();
      String model = openAiModel(app);
      // Warm up this JVM's client and model server (JIT) so the floor is not the benchmark's own start.
      // The same warm-up through nginx and through streamchat (a fresh JVM), so no path is measured cold.
      String warm = "tps=200 tokens=200";
      runStreams(streams, i -> http.completion(modelPort, warm, new Recorder(false)));
      runStreams(streams, i -> http.completion(nginx.port, warm, new Recorder(false)));
      runStreams(streams, i -> {
        Http.Session s = new Http.Session();
        return http.conversation(app.port, s)
            .compose(c -> http.send(app.port, s, c, warm, model, 0))
            .compose(gid -> http.view(app.port, s, gid, new Recorder(false), 0));
      });
      Recorder direct = new Recorder(true);
      runStreams(streams, i -> http.completion(modelPort, prompt, direct));
      paths.put("direct (floor)", direct);
      Recorder proxied = new Recorder(true);
      runStreams(streams, i -> http.completion(nginx.port, prompt, proxied));
      paths.put("nginx", proxied);
      Recorder chat = new Recorder(true);
      runStreams(streams, i -> {
        Http.Session s = new Http.Session();
        return http.conversation(app.port, s)
            .compose(c -> http.send(app.port, s, c, prompt, model, 0))
            .compose(gid -> http.view(app.port, s, gid, chat, 0));
      });
      paths.put("streamchat", chat);
    }
    report.latency(streams, tokens, paths);
  }

  /** Starts n streams (at most 200 opening at once) and waits for all of them to end. */
  void runStreams(int n, IntFunction<Future<SseReader>> open) throws Exception {
    List<Future<Void>> ends = new ArrayList<>();
    List<Future<SseReader>> opened = openBounded(n, 200, open);
    for (Future<SseReader> f : opened) {
      if (f.succeeded()) ends.add(f.result().ended.future());
    }
    await(Future.join(ends), 120);
  }

  /** Opens n things at most {@code parallel} at a time; returns when each has succeeded or failed. */
  <T> List<Future<T>> openBounded(int n, int parallel, IntFunction<Future<T>> open) throws Exception {
    Semaphore slots = new Semaphore(parallel);
    CountDownLatch done = new CountDownLatch(n);
    List<Future<T>> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (!slots.tryAcquire(60, TimeUnit.SECONDS)) throw new IllegalStateException("opening stalled at " + i);
      Future<T> f = open.apply(i);
      out.add(f);
      f.onComplete(ar -> {
        slots.release();
        done.countDown();
      });
    }
    if (!done.await(180, TimeUnit.SECONDS)) throw new IllegalStateException("opening did not finish");
    long failed = out.stream().filter(Future::failed).count();
    if (failed > 0) log(failed + " of " + n + " failed to open, e.g. "
        + out.stream().filter(Future::failed).findFirst().get().cause());
    return out;
  }

  // ---------------------------------------------------------------- 3. concurrency

  void concurrency() throws Exception {
    int[] levels = quick ? new int[] {100, 1000} : new int[] {100, 1000, 2500, 5000, 10000};
    int windowS = quick ? 5 : 15;
    long fds = openFileLimit();
    for (int n : levels) {
      if (fds < 3L * n + 500) {
        report.notes.add(String.format(java.util.Locale.ROOT, "%,d simultaneous generations were not run: through an "
            + "OpenAI-compatible upstream each holds three descriptors in streamchat (viewer socket, upstream "
            + "socket, open stream-log file), about %,d in all, and this container's open-file limit is %,d "
            + "(hard limit; `ulimit -n` cannot raise it here).", n, 3L * n + 500, fds));
        continue;
      }
      Report.Load load = new Report.Load(n);
      try (AppProcess app = startApp("concurrency-" + n, openAiEnv())) {
        String model = openAiModel(app);
        Recorder rec = new Recorder(false);
        String prompt = "tps=" + TPS + " tokens=" + (TPS * 900);
        long rampStart = System.nanoTime();
        List<Future<SseReader>> opened = openBounded(n, 100, i -> {
          Http.Session s = new Http.Session();
          return http.conversation(app.port, s)
              .compose(c -> http.send(app.port, s, c, prompt, model, 0))
              .compose(gid -> http.view(app.port, s, gid, rec, 0));
        });
        load.rampSeconds = (System.nanoTime() - rampStart) / 1e9;
        load.opened = opened.stream().filter(Future::succeeded).count();
        Thread.sleep(3000);
        measure(app, rec, windowS, load);
        load.streamsEndedEarly = rec.streamsEnded.sum();
      }
      report.loads.add(load);
      log("concurrency " + n + ": " + load);
      if (load.latency.quantileMs(0.99) > 10_000 || load.opened < n * 0.9) {
        report.notes.add(String.format(java.util.Locale.ROOT, "Concurrency stopped after %,d streams: p99 above 10 s "
            + "or under 90 %% of the streams opened, so higher levels would only measure a queue.", n));
        break;
      }
    }
  }

  /** Records for a window and takes the server's CPU and heap over it. */
  void measure(AppProcess app, Recorder rec, int windowS, Report.Load load) throws Exception {
    long tokens0 = rec.tokens.sum();
    double cpu0 = app.cpuSeconds();
    double own0 = AppProcess.cpuSecondsOf(ProcessHandle.current().pid());
    long t0 = System.nanoTime();
    rec.on(true);
    Thread.sleep(windowS * 1000L);
    rec.on(false);
    double seconds = (System.nanoTime() - t0) / 1e9;
    load.cpuCores = (app.cpuSeconds() - cpu0) / seconds;
    load.benchCpuCores = (AppProcess.cpuSecondsOf(ProcessHandle.current().pid()) - own0) / seconds;
    load.tokensPerSecond = (rec.tokens.sum() - tokens0) / seconds;
    try {
      load.heapUsed = app.heapUsed();
    } catch (IllegalStateException attachFailed) { // jcmd cannot always attach to a saturated JVM
      load.heapUsed = -1;
      report.notes.add("No heap reading at " + load.n + ": " + attachFailed.getMessage().lines().findFirst().orElse(""));
    }
    load.latency = rec.latency;
    load.failures = rec.failures.sum();
    load.loadAverage = loadAverage();
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }

  static long openFileLimit() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (l.startsWith("Max open files")) return Long.parseLong(l.split("\\s+")[3]);
      }
    } catch (Exception e) {
      // fall through
    }
    return Long.MAX_VALUE;
  }

  // ---------------------------------------------------------------- 4. fan-out

  void fanOut() throws Exception {
    int[] levels = quick ? new int[] {1, 100, 1000} : new int[] {1, 100, 1000, 5000};
    int windowS = quick ? 5 : 10;
    try (AppProcess app = startApp("fanout", openAiEnv())) {
      String model = openAiModel(app);
      for (int n : levels) {
        Report.Load load = new Report.Load(n);
        Http.Session s = new Http.Session();
        String conv = await(http.conversation(app.port, s));
        String gid = await(http.send(app.port, s, conv, "tps=" + TPS + " tokens=" + (TPS * 600), model, 0));
        Recorder rec = new Recorder(false);
        long rampStart = System.nanoTime();
        List<Future<SseReader>> opened = openBounded(n, 200, i -> http.view(app.port, s, gid, rec, 0));
        load.rampSeconds = (System.nanoTime() - rampStart) / 1e9;
        load.opened = opened.stream().filter(Future::succeeded).count();
        Thread.sleep(2000);
        measure(app, rec, windowS, load);
        await(http.call(HttpMethod.POST, app.port, "/api/generations/" + gid + "/stop", s, new JsonObject()));
        List<Future<Void>> ends = new ArrayList<>();
        opened.stream().filter(Future::succeeded).forEach(f -> ends.add(f.result().ended.future()));
        await(Future.join(ends), 60);
        report.fanOut.add(load);
        log("fan-out " + n + ": " + load);
      }
    }
  }

  // ---------------------------------------------------------------- 5. resume and reload

  void resume() throws Exception {
    int[] sizes = {100, 10_000, 100_000};
    Map<String, String> env = Map.of("STREAMCHAT_DEMO_TPS", "20000", "STREAMCHAT_MAX_ANSWER_TOKENS", "100000");
    Http.Session s = new Http.Session();
    Map<Integer, String> gids = new LinkedHashMap<>();
    Map<Integer, String> convs = new LinkedHashMap<>();
    int reps = quick ? 5 : 20;
    AppProcess app = startApp("resume", env);
    try {
      for (int size : sizes) {
        String conv = await(http.conversation(app.port, s));
        convs.put(size, conv);
        gids.put(size, await(http.send(app.port, s, conv, "Tell me a long story", "demo", size)));
        if (size == 100_000) {
          Thread.sleep(2000); // about 40,000 chunks in: a reload in the middle of a long answer
          Histogram page = new Histogram();
          for (int i = 0; i < reps / 2; i++) page.record(timeGet(app.port, "/c/" + conv, s));
          report.pageRunning = page;
          report.pageRunningChunks = await(http.call(HttpMethod.GET, app.port, "/api/generations/" + gids.get(size), s, null))
              .json().getLong("chunks");
        }
        waitDone(app.port, s, gids.get(size));
      }
      for (int size : sizes) {
        Histogram page = new Histogram();
        Histogram warm = new Histogram();
        for (int i = 0; i < reps; i++) {
          page.record(timeGet(app.port, "/c/" + convs.get(size), s));
          warm.record(timeResume(app.port, s, gids.get(size), size / 2));
        }
        report.pageDone.put(size, page);
        report.resumeWarm.put(size, warm);
      }
      app.close();
      app = AppProcess.start(jar, work.resolve("resume/data"), env, work.resolve("resume/streamchat-2.log"));
      timeGet(app.port, "/api/conversations", s); // a first request, so "cold" means the log, not the JVM
      for (int size : sizes) report.resumeCold.put(size, timeResume(app.port, s, gids.get(size), size / 2));
    } finally {
      app.close();
    }
  }

  void waitDone(int port, Http.Session s, String gid) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      var g = await(http.call(HttpMethod.GET, port, "/api/generations/" + gid, s, null)).json();
      if (!"running".equals(g.getString("state"))) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("generation " + gid + " did not finish");
  }

  /** Microseconds to the whole answer of a GET. */
  long timeGet(int port, String path, Http.Session s) throws Exception {
    long t = Clock.micros();
    Http.Reply r = await(http.call(HttpMethod.GET, port, path, s, null));
    if (r.status() != 200) throw new IllegalStateException(path + " answered " + r.status());
    return Clock.micros() - t;
  }

  /** Microseconds from a reconnect with Last-Event-ID to the first replayed chunk's bytes. */
  long timeResume(int port, Http.Session s, String gid, long cursor) throws Exception {
    Recorder rec = new Recorder(false);
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Accept", "text/event-stream")
        .add("Cookie", s.cookie).add("Last-Event-ID", String.valueOf(cursor));
    long t = Clock.micros();
    SseReader reader = await(http.stream(HttpMethod.GET, port, "/api/generations/" + gid + "/events", h, null, rec, 0));
    await(reader.ended.future());
    if (reader.firstChunkAt == 0) throw new IllegalStateException("no chunk replayed");
    return reader.firstChunkAt - t;
  }

  // ---------------------------------------------------------------- 6. memory

  void memory() throws Exception {
    int gens = quick ? 200 : 1000;
    int viewers = quick ? 500 : 5000;
    // Generations stream from the fake OpenAI server at 1 token/s: an upstream connection, a log,
    // a journal file each, as in production (the demo model would add its precomputed answer).
    String slow = "tps=1 tokens=600";
    try (AppProcess app = startApp("memory", openAiEnv())) {
      String model = openAiModel(app);
      Http.Session s = new Http.Session();
      await(http.conversation(app.port, s)); // warm the code paths before the baseline
      Thread.sleep(2000);
      long base = app.heapAfterGc();
      openBounded(gens, 100, i -> http.conversation(app.port, s)
          .compose(c -> http.send(app.port, s, c, slow, model, 0)));
      Thread.sleep(2000);
      long withGens = app.heapAfterGc();
      String conv = await(http.conversation(app.port, s));
      String gid = await(http.send(app.port, s, conv, slow, model, 0));
      Recorder rec = new Recorder(false);
      openBounded(viewers, 200, i -> http.view(app.port, s, gid, rec, 0));
      Thread.sleep(2000);
      long withViewers = app.heapAfterGc();
      report.memory(base, gens, withGens, viewers, withViewers);
    }
  }

  // ---------------------------------------------------------------- helpers

  static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    return await(f, 60);
  }

  static <T> T await(Future<T> f, int seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  static void log(String s) {
    System.out.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + s);
  }
}
