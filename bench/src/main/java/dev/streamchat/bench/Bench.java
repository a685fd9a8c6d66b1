package dev.streamchat.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * The streaming benchmark: a fake model server, nginx and streamchat (built jars, child
 * processes) on this machine, measured by non-blocking clients in this JVM; writes BENCHMARKS.md
 * and SVG plots. Every phase runs against each build given (the commit before a change and the
 * change itself), interleaved level by level so that the shared machine's load hits both alike.
 * Usage: {@code java -jar streamchat-bench.jar <repo dir> [quick] [--before <jar> <rev>]
 * [--after-rev <rev>] [--only phase,phase] [--offer N]}.
 */
public final class Bench {

  static final int TPS = 20;
  /** Descriptors kept free in each process for its own files, the database, nginx and the like. */
  static final long FD_MARGIN = 600;

  /** One build of streamchat under test. */
  record Target(String name, String rev, Path jar) {
  }

  /** How streamchat reaches the fake model server. */
  enum Upstream {
    /** Plain http://, HTTP/1.1: a connection per running answer. */
    HTTP1("HTTP/1.1"),
    /** https:// with ALPN, HTTP/2 where the build can: answers share connections, as with the hosted APIs. */
    H2_TLS("HTTP/2 over TLS");

    final String label;

    Upstream(String label) {
      this.label = label;
    }
  }

  final Path repo;
  final boolean quick;
  final Path work;
  final List<Target> targets = new ArrayList<>();
  final Vertx modelVertx;
  final Vertx clientVertx;
  final Http http;
  int modelPort;
  int tlsPort;
  Path caFile;
  final Report report;
  List<String> only = List.of();
  /** When the run must stop starting new levels (a shared machine's slot), or null for no bound. */
  java.time.Instant until;
  /** Overload: streams to offer when no concurrency level of this run says what a build carried, or 0. */
  int offer;
  /** The viewer counts (fan-out) or stream counts (concurrency) to run instead of the mode's own, to look at one level closely. */
  int[] levels;
  /** Descriptors streamchat used per stream, as measured, by build and upstream: to skip what cannot fit. */
  final Map<String, Double> fdsPerStream = new HashMap<>();

  Bench(Path repo, boolean quick) throws Exception {
    this.repo = repo;
    this.quick = quick;
    this.work = Files.createTempDirectory("streamchat-bench");
    // The model and the clients get their own event loops, apart from each other.
    this.modelVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    this.clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    this.http = new Http(clientVertx);
    this.report = new Report(repo, quick);
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    boolean quick = false;
    Path beforeJar = null;
    String beforeRev = "before";
    String afterRev = "after";
    String only = null;
    String until = null;
    int offer = 0;
    String levels = null;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "quick" -> quick = true;
        case "full" -> quick = false;
        case "--before" -> {
          beforeJar = Path.of(args[++i]);
          beforeRev = args[++i];
        }
        case "--after-rev" -> afterRev = args[++i];
        case "--only" -> only = args[++i];
        case "--until" -> until = args[++i];
        case "--offer" -> offer = Integer.parseInt(args[++i]);
        case "--levels" -> levels = args[++i];
        case "--profile" -> AppProcess.profileDir = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Bench b = new Bench(repo, quick);
    if (beforeJar != null) b.targets.add(new Target("before", beforeRev, beforeJar));
    b.targets.add(new Target("after", afterRev, repo.resolve("target/streamchat.jar")));
    if (only != null) b.only = List.of(only.split(","));
    b.offer = offer;
    if (levels != null) b.levels = java.util.Arrays.stream(levels.split(",")).mapToInt(Integer::parseInt).toArray();
    if (until != null) {
      var t = java.time.LocalTime.parse(until);
      var today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(t).toInstant(java.time.ZoneOffset.UTC);
      b.until = today.isBefore(java.time.Instant.now()) ? today.plus(java.time.Duration.ofDays(1)) : today;
    }
    b.report.targets.addAll(b.targets);
    long t0 = System.nanoTime();
    try {
      b.run();
    } finally {
      b.report.totalSeconds = (System.nanoTime() - t0) / 1e9;
      b.report.loadAtEnd = loadAverage();
      b.report.write();
      b.modelVertx.close();
      b.clientVertx.close();
    }
    System.exit(0);
  }

  void run() throws Exception {
    report.loadAtStart = loadAverage();
    report.fileLimit = openFileLimit();
    modelPort = freePort();
    tlsPort = freePort();
    PemKeyCertOptions cert = selfSignedCertificate();
    await(modelVertx.deployVerticle(() -> new FakeModelServer(modelPort, null), new DeploymentOptions().setInstances(2)));
    await(modelVertx.deployVerticle(() -> new FakeModelServer(tlsPort, cert), new DeploymentOptions().setInstances(2)));
    log("fake model server on 127.0.0.1:" + modelPort + " (http) and :" + tlsPort + " (https, h2 by ALPN)");
    // The short phases first, so that a bounded run (--until) loses the long levels, not whole goals.
    phase("latency", this::latency);
    phase("resume", this::resume);
    phase("memory", this::memory);
    phase("fan-out", this::fanOut);
    phase("concurrency-h2", () -> concurrency(Upstream.H2_TLS));
    phase("concurrency", () -> concurrency(Upstream.HTTP1));
    phase("overload", this::overload);
  }

  /** True, and said in the report, when the run's time bound has passed and {@code what} is not started. */
  boolean outOfTime(String what) {
    return outOfTime(what, 0);
  }

  /** The same, for something expected to take {@code seconds} (scaled from the level below it). */
  boolean outOfTime(String what, long seconds) {
    if (until == null || java.time.Instant.now().plusSeconds(seconds).isBefore(until)) return false;
    String note = what + " was not run: " + (seconds > 0 ? "expected to take about " + seconds + " s, it would end past "
        + "the run's time bound" : "the run's time bound had passed") + " (`--until " + until + "`).";
    report.notes.add(note);
    log(note);
    return true;
  }

  /** A key and self-signed certificate for 127.0.0.1, made now with openssl; streamchat trusts it as a CA file. */
  PemKeyCertOptions selfSignedCertificate() throws Exception {
    Path dir = Files.createDirectories(work.resolve("tls"));
    Path key = dir.resolve("model-server.key");
    caFile = dir.resolve("model-server.pem");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key.toString(), "-out", caFile.toString(), "-days", "2",
        "-subj", "/CN=streamchat bench model server", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IllegalStateException("openssl failed: " + out);
    return new PemKeyCertOptions().setKeyPath(key.toString()).setCertPath(caFile.toString());
  }

  interface Phase {
    void run() throws Exception;
  }

  void phase(String name, Phase p) {
    if (!only.isEmpty() && !only.contains(name)) return;
    if (outOfTime("The " + name + " phase")) return;
    long t = System.nanoTime();
    log("== " + name + " (load average " + loadAverage() + ")");
    try {
      p.run();
    } catch (Exception e) {
      report.notes.add("The " + name + " phase failed: " + e);
      e.printStackTrace();
    }
    log("== " + name + " took " + Math.round((System.nanoTime() - t) / 1e9) + " s");
  }

  Map<String, String> openAiEnv(Upstream upstream) {
    Map<String, String> env = new HashMap<>();
    env.put("OPENAI_API_KEY", "bench");
    if (upstream == Upstream.HTTP1) {
      env.put("OPENAI_BASE_URL", "http://127.0.0.1:" + modelPort + "/v1");
    } else {
      env.put("OPENAI_BASE_URL", "https://127.0.0.1:" + tlsPort + "/v1");
      env.put("STREAMCHAT_UPSTREAM_CA_FILE", caFile.toString());
      env.put("STREAMCHAT_UPSTREAM_HTTP2", "alpn");
    }
    return env;
  }

  AppProcess startApp(Target t, String name, Map<String, String> env) throws Exception {
    Path dir = work.resolve(t.name() + "-" + name);
    Files.createDirectories(dir);
    return AppProcess.start(t.jar(), dir.resolve("data"), env, dir.resolve("streamchat.log"));
  }

  String openAiModel(AppProcess app) throws Exception {
    // The model list is fetched at start; give a slow (loaded) machine a few seconds for it.
    long deadline = System.currentTimeMillis() + 15_000;
    JsonArray models;
    do {
      models = new JsonArray(await(http.call(HttpMethod.GET, app.port, "/api/models", null, null)).body());
      for (Object o : models) {
        JsonObject m = (JsonObject) o;
        if ("openai".equals(m.getString("provider"))) return m.getString("id");
      }
      Thread.sleep(500);
    } while (System.currentTimeMillis() < deadline);
    throw new IllegalStateException("streamchat lists no OpenAI-compatible model: " + models);
  }

  // ---------------------------------------------------------------- added latency per path

  void latency() throws Exception {
    int streams = 100;
    int tokens = quick ? 100 : 200;
    String prompt = "tps=" + TPS + " tokens=" + tokens + " ttft=500";
    String warm = "tps=200 tokens=200";
    Map<String, Recorder> paths = new LinkedHashMap<>();
    try (Nginx nginx = Nginx.start(work.resolve("nginx"), freePort(), modelPort)) {
      report.nginxVersion = Nginx.version();
      // Warm up this JVM's client and model server (JIT) so the floor is not the benchmark's own start.
      runStreams(streams, i -> http.completion(modelPort, warm, new Recorder(false)));
      runStreams(streams, i -> http.completion(nginx.port, warm, new Recorder(false)));
      Recorder direct = new Recorder(true);
      runStreams(streams, i -> http.completion(modelPort, prompt, direct));
      paths.put("direct (floor)", direct);
      Recorder proxied = new Recorder(true);
      runStreams(streams, i -> http.completion(nginx.port, prompt, proxied));
      paths.put("nginx", proxied);
      for (Target t : targets) {
        try (AppProcess app = startApp(t, "latency", openAiEnv(Upstream.HTTP1))) {
          String model = openAiModel(app);
          // The same warm-up through streamchat (a fresh JVM), so no path is measured cold.
          runStreams(streams, i -> viewOne(app, model, warm, new Recorder(false)));
          Recorder chat = new Recorder(true);
          runStreams(streams, i -> viewOne(app, model, prompt, chat));
          paths.put("streamchat " + t.name(), chat);
        }
      }
    }
    report.latency(streams, tokens, paths);
  }

  /** A new session asks for an answer and watches it. */
  Future<SseReader> viewOne(AppProcess app, String model, String prompt, Recorder rec) {
    Http.Session s = new Http.Session();
    return http.conversation(app.port, s)
        .compose(c -> http.send(app.port, s, c, prompt, model, 0))
        .compose(gid -> http.view(app.port, s, gid, rec, 0));
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
    if (!done.await(300, TimeUnit.SECONDS)) throw new IllegalStateException("opening did not finish");
    long failed = out.stream().filter(Future::failed).count();
    if (failed > 0) log(failed + " of " + n + " failed to open, e.g. "
        + out.stream().filter(Future::failed).findFirst().get().cause());
    return out;
  }

  // ---------------------------------------------------------------- concurrency

  void concurrency(Upstream upstream) throws Exception {
    int[] levels = this.levels != null ? this.levels : upstream == Upstream.HTTP1
        ? (quick ? new int[] {100, 1000} : new int[] {100, 1000, 2500, 5000, HIGHEST_THAT_FITS})
        : (quick ? new int[] {1000} : new int[] {5000, 10000});
    int windowS = quick ? 5 : 10;
    Map<String, String> stopped = new HashMap<>();
    Map<String, double[]> lastLevel = new HashMap<>(); // by build: streams, seconds it took
    for (int level : levels) {
      int n = level == HIGHEST_THAT_FITS ? highestHttp1Level() : level;
      if (level == HIGHEST_THAT_FITS && n <= levels[levels.length - 2]) continue; // nothing higher fits
      for (Target t : targets) {
        if (stopped.containsKey(t.name())) continue;
        double[] last = lastLevel.get(t.name());
        // A level's fixed part (start, 3 s pause, window, stop) plus its ramp, which grows with the streams.
        double fixed = windowS + 10;
        long expectedSeconds = last == null ? 0 : Math.round(fixed + Math.max(0, last[1] - fixed) * n / last[0]);
        if (outOfTime(String.format(Locale.ROOT, "Concurrency over %s at %,d streams (%s)", upstream.label, n, t.name()),
            expectedSeconds)) {
          report.stoppedAt.put(t.name() + upstream, -1);
          stopped.put(t.name(), "time");
          continue;
        }
        long levelStart = System.nanoTime();
        String skip = wontFit(t, upstream, n, n);
        if (skip != null) {
          report.skip(t, upstream, n, skip);
          log("concurrency " + upstream.label + " " + n + " " + t.name() + ": skipped: " + skip);
          continue;
        }
        Report.Load load = new Report.Load(n);
        try (AppProcess app = startApp(t, "concurrency-" + upstream.name() + "-" + n, openAiEnv(upstream))) {
          String model;
          try {
            model = openAiModel(app);
          } catch (IllegalStateException noModel) {
            String why = "n/a " + t.name() + ": this build lists no model from the fake model server over " + upstream.label
                + " (it has no `STREAMCHAT_UPSTREAM_CA_FILE` to trust the benchmark's certificate; its log: "
                + upstreamError(app.log) + ")";
            report.notApplicable(t, upstream, why);
            stopped.put(t.name(), why);
            log(why);
            continue;
          }
          Recorder rec = new Recorder(false);
          String prompt = "tps=" + TPS + " tokens=" + (TPS * 900);
          long rampStart = System.nanoTime();
          List<Future<SseReader>> opened = openBounded(n, 100, i -> viewOne(app, model, prompt, rec));
          load.rampSeconds = (System.nanoTime() - rampStart) / 1e9;
          load.opened = opened.stream().filter(Future::succeeded).count();
          Thread.sleep(3000);
          load.descriptors = app.descriptors();
          load.sockets = app.sockets();
          load.upstreamConnections = (upstream == Upstream.HTTP1 ? FakeModelServer.PLAIN_CONNECTIONS
              : FakeModelServer.TLS_CONNECTIONS).get();
          // All of the process's descriptors over the streams: an upper bound, safe for deciding what fits.
          if (load.opened > 0) fdsPerStream.put(t.name() + upstream, load.descriptors / (double) load.opened);
          measure(app, rec, windowS, load);
          load.streamsEndedEarly = rec.streamsEnded.sum();
        }
        report.load(t, upstream, load);
        lastLevel.put(t.name(), new double[] {n, (System.nanoTime() - levelStart) / 1e9});
        log("concurrency " + upstream.label + " " + n + " " + t.name() + ": " + load);
        if (load.latency.quantileMs(0.99) > 10_000 || load.opened < n * 0.9) {
          String why = String.format(Locale.ROOT, "%s stopped after %,d streams over %s: p99 above 10 s or under 90 %% "
              + "of the streams opened, so higher levels would only measure a queue.", t.name(), n, upstream.label);
          report.notes.add(why);
          stopped.put(t.name(), why);
          report.stoppedAt.put(t.name() + upstream, n);
        }
      }
    }
  }

  /** Stands for the most streams over HTTP/1.1 that fit, worked out when the level is reached. */
  static final int HIGHEST_THAT_FITS = -1;

  /**
   * The most streams over HTTP/1.1 whose descriptors fit in this container for the latest build:
   * each holds a client and a model-server socket in this process, and in streamchat a viewer
   * socket, an upstream socket and whatever else it measured per stream at the lower levels.
   */
  int highestHttp1Level() {
    long limit = openFileLimit();
    Target latest = targets.get(targets.size() - 1);
    double perStream = fdsPerStream.getOrDefault(latest.name() + Upstream.HTTP1, 3.0);
    long own = (limit - FD_MARGIN - AppProcess.descriptorsOf(ProcessHandle.current().pid())) / 2;
    long app = (long) ((limit - FD_MARGIN - 400) / perStream);
    return (int) Math.min(10_000, Math.min(own, app) / 250 * 250);
  }

  /**
   * Why {@code streams} streams with {@code held} of them answering would not fit in the
   * open-file limit, or null when they fit. Streamchat's figure per stream is the one measured at
   * a lower level (at first: 3 over HTTP/1.1, viewer + upstream + a log file; 1 over HTTP/2).
   */
  String wontFit(Target t, Upstream upstream, int streams, int held) {
    long limit = openFileLimit();
    double perStream = fdsPerStream.getOrDefault(t.name() + upstream, upstream == Upstream.HTTP1 ? 3.0 : 1.0);
    long app = Math.round(250 + perStream * held);
    long own = AppProcess.descriptorsOf(ProcessHandle.current().pid()) + (upstream == Upstream.HTTP1 ? 2L : 1L) * held
        + (streams - held) / 10;
    if (app + FD_MARGIN <= limit && own + FD_MARGIN <= limit) return null;
    return String.format(Locale.ROOT, "needs about %,d descriptors in streamchat (%.1f per stream, measured) and %,d in "
        + "the benchmark's process, and the open-file limit is %,d (the container's hard limit; `ulimit -n` cannot "
        + "raise it)", app, perStream, own, limit);
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

  /** The app log's last line about the upstream connection (TLS, certificates, the model list). */
  static String upstreamError(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i);
        if (l.matches("(?i).*(pkix|ssl|certificat|handshake|openai|model list).*")) {
          String s = l.strip().replace('|', '/').replace('`', '\'');
          return "`" + (s.length() > 200 ? s.substring(0, 200) + "…" : s) + "`";
        }
      }
    } catch (Exception e) {
      // fall through
    }
    return "no line about it";
  }

  // ---------------------------------------------------------------- fan-out

  void fanOut() throws Exception {
    int[] levels = this.levels != null ? this.levels
        : quick ? new int[] {1, 100, 1000} : new int[] {1, 100, 1000, 10000};
    int windowS = quick ? 5 : 10;
    Map<String, AppProcess> apps = new LinkedHashMap<>();
    Map<String, String> models = new HashMap<>();
    try {
      for (Target t : targets) {
        AppProcess app = startApp(t, "fanout", openAiEnv(Upstream.HTTP1));
        apps.put(t.name(), app);
        models.put(t.name(), openAiModel(app));
      }
      for (int n : levels) {
        if (outOfTime(String.format(Locale.ROOT, "Fan-out to %,d viewers", n))) return;
        for (Target t : targets) {
          // A viewer holds one socket in streamchat and one in this process.
          long limit = openFileLimit();
          long own = AppProcess.descriptorsOf(ProcessHandle.current().pid());
          if (apps.get(t.name()).descriptors() + n + FD_MARGIN > limit || own + n + FD_MARGIN > limit) {
            report.notes.add(String.format(Locale.ROOT, "Fan-out to %,d viewers (%s) was not run: a socket per viewer in "
                + "both processes does not fit the open-file limit of %,d.", n, t.name(), limit));
            continue;
          }
          AppProcess app = apps.get(t.name());
          Report.Load load = new Report.Load(n);
          Http.Session s = new Http.Session();
          String conv = await(http.conversation(app.port, s));
          String gid = await(http.send(app.port, s, conv, "tps=" + TPS + " tokens=" + (TPS * 600), models.get(t.name()), 0));
          Recorder rec = new Recorder(false);
          long rampStart = System.nanoTime();
          List<Future<SseReader>> opened = openBounded(n, 200, i -> http.view(app.port, s, gid, rec, 0));
          load.rampSeconds = (System.nanoTime() - rampStart) / 1e9;
          load.opened = opened.stream().filter(Future::succeeded).count();
          Thread.sleep(2000);
          load.descriptors = app.descriptors();
          measure(app, rec, windowS, load);
          await(http.call(HttpMethod.POST, app.port, "/api/generations/" + gid + "/stop", s, new JsonObject()));
          List<Future<Void>> ends = new ArrayList<>();
          opened.stream().filter(Future::succeeded).forEach(f -> ends.add(f.result().ended.future()));
          await(Future.join(ends), 60);
          report.fanOut(t, load);
          log("fan-out " + n + " " + t.name() + ": " + load);
        }
      }
    } finally {
      for (AppProcess app : apps.values()) app.close();
    }
  }

  // ---------------------------------------------------------------- overload

  /**
   * Offers each build twice the generations it carried with p99 ≤ 100 ms (its own figure from the
   * concurrency phases), with streamchat's own admission limits (nothing lifted): how many it
   * admits, how many it refuses with 429 + Retry-After, and the admitted streams' latency.
   */
  void overload() throws Exception {
    int windowS = quick ? 5 : 15;
    for (Target t : targets) {
      Report.Capacity cap = report.capacity(t);
      Report.Overload o = new Report.Overload();
      o.capacity = cap;
      if (cap == null && offer <= 0) {
        o.skipped = "no concurrency level of this build had p99 ≤ 100 ms with every token delivered in this run";
        report.overload.put(t.name(), o);
        continue;
      }
      // Without a concurrency phase in this run, --offer says how many (the same for every build).
      o.offered = cap == null ? offer : 2 * cap.streams();
      Upstream upstream = cap == null ? Upstream.HTTP1 : cap.upstream();
      int floor = cap == null ? 0 : cap.streams();
      String skip = wontFit(t, upstream, o.offered, Math.min(o.offered, 10_000));
      while (skip != null && o.offered > floor + 250) {
        o.offered -= 250;
        o.capped = true;
        skip = wontFit(t, upstream, o.offered, Math.min(o.offered, 10_000));
      }
      if (skip != null) {
        o.skipped = skip;
        report.overload.put(t.name(), o);
        continue;
      }
      Map<String, String> env = openAiEnv(upstream);
      // The build's own limits: its fixed count and, where it has one, admission by pressure.
      env.put("STREAMCHAT_MAX_GENERATIONS", "");
      env.put("STREAMCHAT_ADMIT_MAX_LOOP_DELAY_MS", "");
      env.put("STREAMCHAT_ADMIT_MAX_PENDING_KB", "");
      try (AppProcess app = startApp(t, "overload", env)) {
        String model = openAiModel(app);
        // The offer starts once the boot and the first requests (class loading, JIT) have passed,
        // warmed by a few short answers: their pressure is not the offer's.
        for (int i = 0; i < 20; i++) {
          Http.Session warm = new Http.Session();
          await(http.conversation(app.port, warm)
              .compose(c -> http.trySend(app.port, warm, c, "tps=" + TPS + " tokens=5", model)));
        }
        Thread.sleep(5000);
        Recorder rec = new Recorder(false);
        String prompt = "tps=" + TPS + " tokens=" + (TPS * 900);
        LongAdder admitted = new LongAdder();
        LongAdder refused = new LongAdder();
        LongAdder withRetryAfter = new LongAdder();
        LongAdder other = new LongAdder();
        java.util.Queue<Integer> retryAfters = new java.util.concurrent.ConcurrentLinkedQueue<>();
        long rampStart = System.nanoTime();
        List<Future<SseReader>> opened = openBounded(o.offered, 100, i -> {
          Http.Session s = new Http.Session();
          return http.conversation(app.port, s)
              .compose(c -> http.trySend(app.port, s, c, prompt, model))
              .compose(sent -> {
                if (sent.status() == 202) {
                  admitted.increment();
                  return http.view(app.port, s, sent.generationId(), rec, 0);
                }
                if (sent.status() == 429) {
                  refused.increment();
                  if (sent.retryAfter() != null) {
                    withRetryAfter.increment();
                    try {
                      retryAfters.add(Integer.parseInt(sent.retryAfter().trim()));
                    } catch (NumberFormatException notSeconds) {
                      // an HTTP date: counted, not ranged
                    }
                  }
                } else {
                  other.increment();
                }
                return Future.failedFuture("refused: " + sent.status());
              });
        });
        o.rampSeconds = (System.nanoTime() - rampStart) / 1e9;
        o.admitted = admitted.sum();
        o.refused = refused.sum();
        o.refusedWithRetryAfter = withRetryAfter.sum();
        o.otherStatuses = other.sum();
        o.retryAfterMin = retryAfters.stream().mapToInt(Integer::intValue).min().orElse(0);
        o.retryAfterMax = retryAfters.stream().mapToInt(Integer::intValue).max().orElse(0);
        o.noAnswer = o.offered - o.admitted - o.refused - o.otherStatuses; // the request itself failed
        o.viewing = opened.stream().filter(Future::succeeded).count();
        Thread.sleep(3000);
        Report.Load load = new Report.Load((int) o.viewing);
        load.opened = o.viewing;
        measure(app, rec, windowS, load);
        o.load = load;
      }
      report.overload.put(t.name(), o);
      log("overload " + t.name() + ": offered " + o.offered + " admitted " + o.admitted + " refused " + o.refused
          + " (Retry-After " + o.retryAfterMin + "–" + o.retryAfterMax + " s) " + o.load);
    }
  }

  // ---------------------------------------------------------------- resume and reload

  void resume() throws Exception {
    for (Target t : targets) resume(t);
  }

  void resume(Target t) throws Exception {
    int[] sizes = {100, 10_000, 100_000};
    Map<String, String> env = Map.of("STREAMCHAT_DEMO_TPS", "20000", "STREAMCHAT_MAX_ANSWER_TOKENS", "100000");
    Http.Session s = new Http.Session();
    Map<Integer, String> gids = new LinkedHashMap<>();
    Map<Integer, String> convs = new LinkedHashMap<>();
    int reps = quick ? 5 : 10;
    Report.Resume r = new Report.Resume();
    AppProcess app = startApp(t, "resume", env);
    try {
      for (int size : sizes) {
        String conv = await(http.conversation(app.port, s));
        convs.put(size, conv);
        gids.put(size, await(http.send(app.port, s, conv, "Tell me a long story", "demo", size)));
        if (size == 100_000) {
          Thread.sleep(2000); // tens of thousands of chunks in: a reload in the middle of a long answer
          Histogram page = new Histogram();
          for (int i = 0; i < reps / 2; i++) page.record(timeGet(app.port, "/c/" + conv, s));
          r.pageRunning = page;
          r.pageRunningChunks = await(http.call(HttpMethod.GET, app.port, "/api/generations/" + gids.get(size), s, null))
              .json().getLong("chunks", -1L);
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
        r.pageDone.put(size, page);
        r.warm.put(size, warm);
      }
      app.close();
      Path dir = work.resolve(t.name() + "-resume");
      app = AppProcess.start(t.jar(), dir.resolve("data"), env, dir.resolve("streamchat-2.log"));
      timeGet(app.port, "/api/conversations", s); // a first request, so "cold" means the log, not the JVM
      for (int size : sizes) r.cold.put(size, timeResume(app.port, s, gids.get(size), size / 2));
    } finally {
      app.close();
    }
    report.resume.put(t.name(), r);
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

  // ---------------------------------------------------------------- memory

  void memory() throws Exception {
    for (Target t : targets) memory(t);
  }

  void memory(Target t) throws Exception {
    int gens = Integer.getInteger("bench.memory.generations", quick ? 200 : 1000);
    int viewers = Integer.getInteger("bench.memory.viewers", quick ? 500 : 5000);
    Path dir = work.resolve(t.name() + "-memory");
    // Generations stream from the fake OpenAI server at 1 token/s: an upstream connection each,
    // as in production (the demo model would add its precomputed answer).
    String slow = "tps=1 tokens=600";
    try (AppProcess app = startApp(t, "memory", openAiEnv(Upstream.HTTP1))) {
      String model = openAiModel(app);
      Http.Session s = new Http.Session();
      await(http.conversation(app.port, s)); // warm the code paths before the baseline
      Thread.sleep(2000);
      long base = app.liveHeap(dir.resolve("histogram-0-base.txt"));
      LiveGenerations live = liveGenerations(app, model, gens, slow, dir, "histogram-");
      String conv = await(http.conversation(app.port, s));
      String gid = await(http.send(app.port, s, conv, slow, model, 0));
      Recorder rec = new Recorder(false);
      int watching = (int) openBounded(viewers, 200, i -> http.view(app.port, s, gid, rec, 0))
          .stream().filter(Future::succeeded).count();
      Thread.sleep(2000);
      long withViewers = app.liveHeap(dir.resolve("histogram-3-viewers.txt"));
      log("memory " + t.name() + ": class histograms in " + dir);
      double perGenH2 = perGenerationOverHttp2(t, gens, slow, dir);
      report.memory.put(t.name(), new Report.Memory(base, live.started(), live.withConversations(), live.withGenerations(),
          watching, withViewers, perGenH2));
    }
  }

  /** Heap per live generation with the model server over HTTP/2 with TLS (answers share upstream connections). */
  double perGenerationOverHttp2(Target t, int gens, String prompt, Path dir) throws Exception {
    try (AppProcess app = startApp(t, "memory-h2", openAiEnv(Upstream.H2_TLS))) {
      String model = openAiModel(app);
      await(http.conversation(app.port, new Http.Session()));
      LiveGenerations live = liveGenerations(app, model, gens, prompt, dir, "histogram-h2-");
      return live.perGenerationBytes();
    } catch (IllegalStateException cannotStart) { // a build without HTTP/2 upstreams or without the CA setting
      report.notes.add("No HTTP/2 memory reading for " + t.name() + ": " + cannotStart.getMessage());
      return Double.NaN;
    }
  }

  /** The live heap with a session and conversation per generation to come, then with the generations that started. */
  record LiveGenerations(long withConversations, long withGenerations, int started) {
    double perGenerationBytes() {
      return started == 0 ? Double.NaN : (withGenerations - withConversations) / (double) started;
    }
  }

  LiveGenerations liveGenerations(AppProcess app, String model, int gens, String prompt, Path dir, String prefix)
      throws Exception {
    // Each generation in its own session, as in production (a session may run only a few at once);
    // sessions and conversations first, so that the difference is the live generations alone.
    List<Http.Session> sessions = new ArrayList<>();
    for (int i = 0; i < gens; i++) sessions.add(new Http.Session());
    List<String> convs = new ArrayList<>();
    for (Future<String> f : openBounded(gens, 100, i -> http.conversation(app.port, sessions.get(i)))) convs.add(f.result());
    long withConvs = app.liveHeap(dir.resolve(prefix + "1-sessions.txt"));
    // Per live generation is over those that started (a loaded database may refuse a few).
    int started = (int) openBounded(gens, 100, i -> http.send(app.port, sessions.get(i), convs.get(i), prompt, model, 0))
        .stream().filter(Future::succeeded).count();
    Thread.sleep(2000);
    return new LiveGenerations(withConvs, app.liveHeap(dir.resolve(prefix + "2-generations.txt")), started);
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
