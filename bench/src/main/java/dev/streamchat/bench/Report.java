package dev.streamchat.bench;

import dev.streamchat.bench.Bench.Target;
import dev.streamchat.bench.Bench.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Collects the figures of a run, build by build, and writes BENCHMARKS.md and the SVG plots. */
final class Report {

  /** One load level: n streams (concurrency) or n viewers (fan-out). */
  static final class Load {
    final int n;
    double rampSeconds;
    long opened;
    double cpuCores;
    double benchCpuCores;
    double tokensPerSecond;
    long heapUsed;
    long descriptors = -1;
    long sockets = -1;
    long upstreamConnections = -1;
    Histogram latency = new Histogram();
    long failures;
    long streamsEndedEarly;
    String loadAverage = "?";

    Load(int n) {
      this.n = n;
    }

    /** Every stream open and every token of the window delivered (1 % slack for the window's edges). */
    boolean allDelivered() {
      return opened == n && failures == 0 && streamsEndedEarly == 0 && tokensPerSecond >= 0.99 * n * Bench.TPS;
    }

    double p99() {
      return latency.count() == 0 ? Double.POSITIVE_INFINITY : latency.quantileMs(0.99);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "n=%d opened=%d ramp=%.1fs p50=%.2fms p99=%.2fms max=%.1fms tok/s=%.0f cpu=%.2f bench=%.2f heap=%dMiB fds=%d failures=%d ended=%d load=%s",
          n, opened, rampSeconds, latency.quantileMs(0.5), latency.quantileMs(0.99), latency.maxMs(),
          tokensPerSecond, cpuCores, benchCpuCores, heapUsed >> 20, descriptors, failures, streamsEndedEarly, loadAverage);
    }
  }

  /** A level of a build: measured, or skipped with the reason. */
  record Entry(int n, Target target, Load load, String skipped) {
  }

  /** The most streams a build carried with p99 ≤ 100 ms and every token delivered, and over which upstream. */
  record Capacity(int streams, Upstream upstream, double p99) {
  }

  static final class Overload {
    Capacity capacity;
    String skipped;
    int offered;
    boolean capped;
    double rampSeconds;
    long admitted;
    long refused;
    long refusedWithRetryAfter;
    /** The Retry-After values refusals carried, in seconds (0 when none). */
    int retryAfterMin;
    int retryAfterMax;
    long otherStatuses;
    long noAnswer;
    long viewing;
    Load load;
  }

  static final class Resume {
    final Map<Integer, Histogram> warm = new LinkedHashMap<>();
    final Map<Integer, Long> cold = new LinkedHashMap<>();
    final Map<Integer, Histogram> pageDone = new LinkedHashMap<>();
    Histogram pageRunning;
    long pageRunningChunks;
  }

  /** The heap readings of one build; {@code perGenH2Bytes} is the same per-generation figure with the model over HTTP/2 (NaN when not measured). */
  record Memory(long base, int gens, long withConversations, long withGens, int viewers, long withViewers,
      double perGenH2Bytes) {
    double perGenBytes() {
      return (withGens - withConversations) / (double) gens;
    }

    double perViewerBytes() {
      return (withViewers - withGens) / (double) viewers;
    }
  }

  static final String ANALYSIS = "## Analysis (written by hand";
  private final Path repo;
  private final boolean quick;
  final List<Target> targets = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  String nginxVersion = "?";
  double totalSeconds;
  String loadAtStart = "?";
  String loadAtEnd = "?";
  long fileLimit;
  int latencyStreams;
  int latencyTokens;
  Map<String, Recorder> paths = new LinkedHashMap<>();
  final Map<Upstream, List<Entry>> concurrency = new EnumMap<>(Upstream.class);
  final Map<Upstream, Map<String, String>> notApplicable = new EnumMap<>(Upstream.class);
  final List<Entry> fanOut = new ArrayList<>();
  final Map<String, Overload> overload = new LinkedHashMap<>();
  final Map<String, Resume> resume = new LinkedHashMap<>();
  final Map<String, Memory> memory = new LinkedHashMap<>();
  /** Where a build's concurrency stopped (p99 above 10 s), by build name + upstream. */
  final Map<String, Integer> stoppedAt = new java.util.concurrent.ConcurrentHashMap<>();

  Report(Path repo, boolean quick) {
    this.repo = repo;
    this.quick = quick;
  }

  void latency(int streams, int tokens, Map<String, Recorder> measured) {
    latencyStreams = streams;
    latencyTokens = tokens;
    paths = measured;
  }

  synchronized void load(Target t, Upstream u, Load l) {
    concurrency.computeIfAbsent(u, k -> new ArrayList<>()).add(new Entry(l.n, t, l, null));
  }

  synchronized void skip(Target t, Upstream u, int n, String why) {
    concurrency.computeIfAbsent(u, k -> new ArrayList<>()).add(new Entry(n, t, null, why));
  }

  synchronized void notApplicable(Target t, Upstream u, String why) {
    notApplicable.computeIfAbsent(u, k -> new LinkedHashMap<>()).put(t.name(), why);
  }

  synchronized void fanOut(Target t, Load l) {
    fanOut.add(new Entry(l.n, t, l, null));
  }

  Load find(Upstream u, String target, int n) {
    for (Entry e : concurrency.getOrDefault(u, List.of())) {
      if (e.load() != null && e.n() == n && e.target().name().equals(target)) return e.load();
    }
    return null;
  }

  Capacity capacity(Target t) {
    Capacity best = null;
    for (var byUpstream : concurrency.entrySet()) {
      for (Entry e : byUpstream.getValue()) {
        if (e.load() == null || !e.target().equals(t)) continue;
        Load l = e.load();
        if (l.p99() <= 100 && l.allDelivered() && (best == null || l.n > best.streams())) {
          best = new Capacity(l.n, byUpstream.getKey(), l.p99());
        }
      }
    }
    return best;
  }

  // ---------------------------------------------------------------- writing

  void write() throws Exception {
    Path plots = repo.resolve("bench/plots");
    Files.createDirectories(plots);
    StringBuilder md = new StringBuilder();
    md.append("# streamchat benchmarks\n\n");
    md.append("Written by `bench/run.sh` (the benchmark in `bench/`, ").append(quick ? "**quick mode**, " : "")
        .append("whole run ").append(Math.round(totalSeconds)).append(" s). ");
    md.append(buildsSentence());
    md.append(String.format(Locale.ROOT, "**Figures are from a shared, noisy machine**: other developers' builds and "
        + "tests ran on the same 2 cores during the run (1-minute load average %s at the start, %s at the end, and "
        + "per level in the tables), and the clients, the fake model server and nginx share those cores with "
        + "streamchat. Read them as orders of magnitude and as ratios within one run, not as absolutes.\n\n",
        loadAtStart, loadAtEnd));
    md.append("## Command and machine\n\n```sh\nbench/run.sh                 # builds both jars and the benchmark, installs nginx if absent, runs all, writes this file\n"
        + "bench/run.sh quick --before REV   # shorter; REV defaults to 1e11f0d, built in a temporary git worktree\n```\n\n");
    md.append("| | |\n|---|---|\n");
    md.append("| CPU | ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores (nproc) |\n");
    md.append("| memory | ").append(memTotal()).append(" |\n");
    md.append("| Java | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
        .append(" (streamchat run as `java -jar streamchat.jar`, default JVM flags) |\n");
    md.append("| OS | ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(" |\n");
    md.append(String.format(Locale.ROOT, "| open files | %,d per process (hard limit of this container) |\n", fileLimit));
    md.append("| nginx | ").append(nginxVersion).append(" (Debian; `proxy_buffering off`, `worker_processes auto`) |\n\n");
    md.append("Everything runs on loopback (127.0.0.1). The fake model server (bench/.../FakeModelServer) speaks "
        + "the OpenAI chat-completions SSE format, over plain HTTP/1.1 and, on a second port, over TLS with h2 and "
        + "http/1.1 offered by ALPN as the hosted APIs do (a self-signed certificate made with `openssl` at the start "
        + "of the run, which streamchat trusts through `STREAMCHAT_UPSTREAM_CA_FILE`; at most "
        + FakeModelServer.H2_STREAMS_PER_CONNECTION + " streams per HTTP/2 connection). Each token's content is "
        + "` ~<µs>`, the monotonic time at which it was written to the socket; the client (Vert.x HttpClient, same "
        + "JVM, same clock) records *receive time − stamp* for every token: the **added latency**. Only tokens sent "
        + "after the client's stream was open count (replayed ones are not live). Builds alternate level by level "
        + "(before, then after, at each level), each level in a fresh streamchat process unless said otherwise.\n\n");
    writeGoals(md);
    writeLatency(md, plots);
    writeConcurrency(md, plots);
    writeFanOut(md);
    writeOverload(md);
    writeResume(md);
    writeMemory(md);
    if (!notes.isEmpty()) {
      md.append("## Notes from this run\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
      md.append('\n');
    }
    // The hand-written analysis at the end of the file survives a new run.
    Path out = repo.resolve("BENCHMARKS.md");
    String old = Files.exists(out) ? Files.readString(out) : "";
    int analysis = old.indexOf(ANALYSIS);
    if (analysis >= 0) md.append(old.substring(analysis));
    Files.writeString(out, md.toString());
  }

  private String buildsSentence() {
    StringBuilder sb = new StringBuilder("Builds compared: ");
    for (int i = 0; i < targets.size(); i++) {
      Target t = targets.get(i);
      sb.append(i > 0 ? ", " : "").append("**").append(t.name()).append("** = `").append(t.rev()).append('`');
    }
    return sb.append(". ").toString();
  }

  private void writeLatency(StringBuilder md, Path plots) throws Exception {
    md.append("## Added latency per token, by path\n\n");
    if (paths.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append(String.format(Locale.ROOT, "%d simultaneous streams per path, %d tokens each at %d tokens/s, first "
        + "token after 500 ms; paths run one after another in one run. *direct* = the client reads the fake model "
        + "server itself (the floor: loopback + one HTTP hop); *nginx* = through nginx relaying the same stream; "
        + "*streamchat* = the model streams into streamchat (`OPENAI_BASE_URL`, HTTP/1.1), the client reads "
        + "`GET /api/generations/{id}/events`.\n\n", latencyStreams, latencyTokens, Bench.TPS));
    md.append("| path | tokens | median | p90 | p99 | p99.9 | max | first token p50 / p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    List<Svg.Series> series = new ArrayList<>();
    double[] qs = {0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999};
    for (var e : paths.entrySet()) {
      Histogram h = e.getValue().latency;
      Histogram f = e.getValue().firstToken;
      md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s / %s |\n", e.getKey(), h.count(),
          ms(h.quantileMs(0.5)), ms(h.quantileMs(0.9)), ms(h.quantileMs(0.99)), ms(h.quantileMs(0.999)), ms(h.maxMs()),
          ms(f.quantileMs(0.5)), ms(f.quantileMs(0.99))));
      double[] x = new double[qs.length + 1];
      double[] y = new double[qs.length + 1];
      for (int i = 0; i < qs.length; i++) {
        x[i] = -Math.log10(1 - qs[i]);
        y[i] = Math.max(0.001, h.quantileMs(qs[i]));
      }
      x[qs.length] = 4.3;
      y[qs.length] = Math.max(0.001, h.maxMs());
      series.add(new Svg.Series(e.getKey(), x, y));
    }
    Files.writeString(plots.resolve("latency-distribution.svg"), Svg.chart(
        "Added latency per token by path (" + latencyStreams + " streams)",
        new Svg.Axis("percentile", false, new double[] {0, 1, 2, 3, 4, 4.3},
            v -> v >= 4.3 ? "max" : v == 0 ? "0%" : String.format(Locale.ROOT, "%s%%", trim(100 * (1 - Math.pow(10, -v))))),
        new Svg.Axis("added latency (ms, log)", true, Svg.logTicks(0.001, 100000), Report::trim), series));
    md.append("\n![latency distribution per path](bench/plots/latency-distribution.svg)\n\n");
  }

  private void writeConcurrency(StringBuilder md, Path plots) throws Exception {
    md.append("## Concurrency: N simultaneous generations, one viewer each, ").append(Bench.TPS).append(" tokens/s each\n\n");
    if (concurrency.isEmpty() && notApplicable.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Each generation streams from the fake model server through streamchat to its own viewer (its own "
        + "session). A fresh streamchat process per level and build; generations are opened 100 at a time, then "
        + "after 3 s the clients record for a window (10 s; 5 s in quick mode). CPU is user+system time over the window, in cores, of "
        + "streamchat's process and of the benchmark's own process (clients and fake model server); heap is "
        + "streamchat's, in use at the end of the window, garbage included; *fds* = streamchat's open descriptors "
        + "(of them sockets); *upstream conns* = connections open to the fake model server; "
        + "*load* = the 1-minute load average of the whole (shared) machine at the end of the window.\n\n");
    List<Svg.Series> s = new ArrayList<>();
    for (Upstream u : Upstream.values()) {
      List<Entry> entries = concurrency.getOrDefault(u, List.of());
      Map<String, String> na = notApplicable.getOrDefault(u, Map.of());
      if (entries.isEmpty() && na.isEmpty()) continue;
      md.append("### Upstream ").append(u.label).append("\n\n");
      md.append(loadHeader("streams"));
      for (Entry e : entries) md.append(e.load() == null ? skipRow(e) : loadRow(e.target().name(), e.load()));
      md.append('\n');
      na.values().forEach(why -> md.append("- ").append(why).append('\n'));
      for (Target t : targets) {
        List<Load> mine = entries.stream().filter(e -> e.load() != null && e.target().equals(t)).map(Entry::load).toList();
        if (mine.isEmpty()) continue;
        md.append("- **").append(t.name()).append("**: p99 passes 100 ms ").append(crossing(mine)).append('\n');
        s.add(series(t.name() + " " + u.label + " p99", mine, 0.99));
      }
      md.append('\n');
    }
    if (!s.isEmpty()) {
      Files.writeString(plots.resolve("latency-vs-concurrency.svg"), Svg.chart(
          "p99 added latency vs simultaneous generations (" + Bench.TPS + " tok/s each)",
          new Svg.Axis("simultaneous generations (log)", true, Svg.logTicks(10, 100000), Report::trim),
          new Svg.Axis("p99 added latency (ms, log)", true, Svg.logTicks(0.01, 1000000), Report::trim), s));
      md.append("![p99 added latency vs concurrency](bench/plots/latency-vs-concurrency.svg)\n\n");
    }
  }

  private void writeFanOut(StringBuilder md) {
    md.append("## Fan-out: one generation, N viewers\n\n");
    if (fanOut.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("One generation at ").append(Bench.TPS).append(" tokens/s from the fake model server (HTTP/1.1), N "
        + "viewers of the same session on `GET /api/generations/{id}/events`; one streamchat process per build for "
        + "all levels.\n\n");
    md.append(loadHeader("viewers"));
    fanOut.forEach(e -> md.append(loadRow(e.target().name(), e.load())));
    md.append('\n');
  }

  private void writeOverload(StringBuilder md) {
    md.append("## Overload: twice what the build carried\n\n");
    if (overload.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Each build is offered twice the generations it carried in this run with p99 ≤ 100 ms and every token "
        + "delivered (its own figure, from the concurrency tables), opened 100 at a time, each in its own session, "
        + "with streamchat's own admission limits (`STREAMCHAT_MAX_GENERATIONS` at its default and, where the build "
        + "has it, admission by measured pressure at its defaults; nothing lifted). Without a concurrency phase in "
        + "the run, `--offer N` sets the offer (*carried* is then –). *Refused* = `429`, not retried; *Retry-After* = "
        + "the range of seconds the refusals asked for; the admitted streams are then recorded for a window.\n\n");
    md.append("| build | carried (p99 ≤ 100 ms) | offered | admitted | refused 429 (with Retry-After) | Retry-After | other answers / errors | "
        + "admitted p50 | p99 | max | tokens delivered/s | expected/s | streamchat CPU | bench CPU | load |\n"
        + "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : overload.entrySet()) {
      Overload o = e.getValue();
      String carried = o.capacity == null ? "–" : String.format(Locale.ROOT, "%,d over %s (p99 %s)",
          o.capacity.streams(), o.capacity.upstream().label, ms(o.capacity.p99()));
      if (o.skipped != null || o.load == null) {
        md.append(String.format(Locale.ROOT, "| %s | %s | not run: %s ||||||||||||\n", e.getKey(), carried,
            o.skipped == null ? "failed (see notes)" : o.skipped));
        continue;
      }
      Load l = o.load;
      md.append(String.format(Locale.ROOT, "| %s | %s | %,d%s | %,d | %,d (%,d) | %s | %,d / %,d | %s | %s | %s | %,.0f | %,d | %.2f | %.2f | %s |\n",
          e.getKey(), carried, o.offered, o.capped ? " (capped: descriptors)" : "", o.admitted, o.refused,
          o.refusedWithRetryAfter, retryAfterRange(o), o.otherStatuses, o.noAnswer, ms(l.latency.quantileMs(0.5)), ms(l.latency.quantileMs(0.99)),
          ms(l.latency.maxMs()), l.tokensPerSecond, o.viewing * Bench.TPS, l.cpuCores, l.benchCpuCores, l.loadAverage));
    }
    md.append('\n');
  }

  private static String loadHeader(String what) {
    return "| " + what + " | build | opened | setup (s) | added p50 | p99 | max | tokens delivered/s | expected/s | streamchat CPU | bench CPU | heap used | fds (sockets) | upstream conns | failures | load |\n"
        + "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  }

  private static String loadRow(String build, Load l) {
    return String.format(Locale.ROOT, "| %,d | %s | %,d | %.1f | %s | %s | %s | %,.0f | %,d | %.2f | %.2f | %s | %s | %s | %d | %s |\n", l.n,
        build, l.opened, l.rampSeconds, ms(l.latency.quantileMs(0.5)), ms(l.latency.quantileMs(0.99)), ms(l.latency.maxMs()),
        l.tokensPerSecond, l.n * Bench.TPS, l.cpuCores, l.benchCpuCores, l.heapUsed < 0 ? "?" : (l.heapUsed >> 20) + " MiB",
        l.descriptors < 0 ? "–" : String.format(Locale.ROOT, "%,d (%,d)", l.descriptors, l.sockets),
        l.upstreamConnections < 0 ? "–" : String.format(Locale.ROOT, "%,d", l.upstreamConnections),
        l.failures + l.streamsEndedEarly, l.loadAverage);
  }

  private static String skipRow(Entry e) {
    return String.format(Locale.ROOT, "| %,d | %s | not run: %s |||||||||||||\n", e.n(), e.target().name(), e.skipped());
  }

  private static Svg.Series series(String name, List<Load> loads, double q) {
    double[] x = new double[loads.size()];
    double[] y = new double[loads.size()];
    for (int i = 0; i < loads.size(); i++) {
      x[i] = loads.get(i).n;
      y[i] = q >= 1 ? loads.get(i).latency.maxMs() : loads.get(i).latency.quantileMs(q);
    }
    return new Svg.Series(name, x, y);
  }

  static String crossing(List<Load> loads) {
    Load prev = null;
    for (Load l : loads) {
      double p99 = l.latency.quantileMs(0.99);
      if (p99 > 100 || l.latency.count() == 0) {
        return prev == null ? "already at " + fmt(l.n) + " streams (p99 " + ms(p99) + ")"
            : "between " + fmt(prev.n) + " streams (p99 " + ms(prev.latency.quantileMs(0.99)) + ") and " + fmt(l.n)
                + " streams (p99 " + ms(p99) + ")";
      }
      prev = l;
    }
    return prev == null ? "not measured" : "nowhere up to " + fmt(prev.n) + " streams (p99 " + ms(prev.latency.quantileMs(0.99)) + ")";
  }

  private void writeResume(StringBuilder md) {
    md.append("## Resume and reload\n\n");
    if (resume.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Logs written by the demo model (`STREAMCHAT_DEMO_TPS=20000`). *Resume* = `GET /api/generations/{id}/events` "
        + "with `Last-Event-ID: N/2`, timed from sending the request to the arrival of the first replayed chunk's "
        + "bytes. *Warm*: the answer was read or written recently by this process; *cold*: first request after a "
        + "restart of streamchat, read back from disk. *Page*: `GET /c/{id}`, the whole chat page with the "
        + "answer rendered.\n\n");
    md.append("| log (chunks) | build | resume warm p50 | warm max | resume cold | page reload p50 | page max |\n|---:|---|---:|---:|---:|---:|---:|\n");
    List<Integer> sizes = new ArrayList<>();
    resume.values().forEach(r -> r.warm.keySet().forEach(k -> {
      if (!sizes.contains(k)) sizes.add(k);
    }));
    for (int size : sizes) {
      for (var e : resume.entrySet()) {
        Resume r = e.getValue();
        Histogram warm = r.warm.get(size);
        if (warm == null) continue;
        Histogram page = r.pageDone.get(size);
        Long cold = r.cold.get(size);
        md.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s | %s |\n", size, e.getKey(), ms(warm.quantileMs(0.5)),
            ms(warm.maxMs()), cold == null ? "–" : ms(cold / 1000.0), ms(page.quantileMs(0.5)), ms(page.maxMs())));
      }
    }
    md.append('\n');
    for (var e : resume.entrySet()) {
      Resume r = e.getValue();
      if (r.pageRunning == null) continue;
      md.append(String.format(Locale.ROOT, "- %s: reload of the chat page in the middle of a long running answer (%,d chunks "
          + "so far, still streaming at 20,000 tokens/s): p50 %s, max %s over %d loads.\n", e.getKey(), r.pageRunningChunks,
          ms(r.pageRunning.quantileMs(0.5)), ms(r.pageRunning.maxMs()), r.pageRunning.count()));
    }
    md.append('\n');
  }

  private void writeMemory(StringBuilder md) {
    md.append("## Memory\n\n");
    if (memory.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Live heap: the bytes of the objects `jcmd GC.class_histogram` counts after its full GC (not `GC.heap_info`, "
        + "which also counts what the server allocated since the collection), generations streaming from the fake "
        + "OpenAI server (HTTP/1.1) at 1 token/s, each in its own session; the sessions and their conversations are "
        + "made first, so *per live generation* is the generation alone (upstream request, pipeline, feed, journal). "
        + "Then idle viewers of one more generation. *Over HTTP/2*: the same generations with the model server over "
        + "HTTP/2 with TLS (as the hosted APIs), in a second process: answers share upstream connections.\n\n");
    md.append("| build | baseline | with sessions + conversations | with live generations | with idle viewers | heap per live generation | … over HTTP/2 | heap per idle viewer |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : memory.entrySet()) {
      Memory m = e.getValue();
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s (%,d) | %s (%,d) | %.1f KiB | %s | %.1f KiB |\n", e.getKey(), mib(m.base()),
          mib(m.withConversations()), mib(m.withGens()), m.gens(), mib(m.withViewers()), m.viewers(), m.perGenBytes() / 1024,
          Double.isNaN(m.perGenH2Bytes()) ? "–" : String.format(Locale.ROOT, "%.1f KiB", m.perGenH2Bytes() / 1024),
          m.perViewerBytes() / 1024));
    }
    md.append("\nNetty's socket buffers are pooled direct memory and not in these heap figures.\n\n");
  }

  // ---------------------------------------------------------------- goals

  /** A goal: what each build measured, whether the latest build meets it, and what limits it when missed. */
  private record Goal(String goal, Map<String, String> measured, Boolean met, String limit) {
  }

  private void writeGoals(StringBuilder md) {
    List<Goal> goals = new ArrayList<>();
    for (int n : new int[] {10_000, 5_000}) {
      goals.add(streamsGoal(Upstream.H2_TLS, n));
    }
    goals.add(highestHttp1Goal());
    goals.add(streamsGoal(Upstream.HTTP1, 5_000));
    goals.add(perTokenGoal());
    goals.add(fanOutGoal());
    goals.add(overloadGoal());
    goals.add(resumeGoal());
    goals.add(memoryGoal());
    md.append("## The goals of issue 12, before and after\n\n");
    md.append("*Met* is for the latest build (after). *Limited by* gives this run's figures at the point where a goal "
        + "is missed (CPU of streamchat and of the benchmark out of the 2 cores, machine load, descriptors).\n\n");
    md.append("| goal |");
    targets.forEach(t -> md.append(' ').append(t.name()).append(" |"));
    md.append(" met | limited by |\n|---|");
    targets.forEach(t -> md.append("---|"));
    md.append("---|---|\n");
    for (Goal g : goals) {
      md.append("| ").append(g.goal()).append(" |");
      for (Target t : targets) md.append(' ').append(g.measured().getOrDefault(t.name(), "not measured")).append(" |");
      md.append(' ').append(g.met() == null ? "not measured" : g.met() ? "met" : "**not met**").append(" | ")
          .append(g.met() == null || !g.met() ? g.limit() : "").append(" |\n");
    }
    md.append('\n');
  }

  private String latest() {
    return targets.get(targets.size() - 1).name();
  }

  private Goal streamsGoal(Upstream u, int n) {
    String goal = String.format(Locale.ROOT, "%,d generations over %s, one viewer each: every token delivered, p99 added ≤ 50 ms", n, u.label);
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      Load l = find(u, t.name(), n);
      String na = notApplicable.getOrDefault(u, Map.of()).get(t.name());
      String skipped = concurrency.getOrDefault(u, List.of()).stream()
          .filter(e -> e.load() == null && e.n() == n && e.target().equals(t)).map(Entry::skipped).findFirst().orElse(null);
      if (l != null) {
        measured.put(t.name(), streamsFigure(l));
        if (t.name().equals(latest())) {
          met = l.p99() <= 50 && l.allDelivered();
          limit = limitOf(l);
        }
      } else if (na != null) {
        measured.put(t.name(), "n/a " + t.name());
      } else if (skipped != null) {
        measured.put(t.name(), "not run (descriptors)");
        if (t.name().equals(latest())) {
          met = false;
          limit = "not run: " + skipped;
        }
      } else if (t.name().equals(latest()) && stoppedAt.getOrDefault(t.name() + u, 0) < 0) {
        limit = "not run: the run's time bound had passed (see notes)";
      } else if (t.name().equals(latest()) && stoppedAt.containsKey(t.name() + u)) {
        met = false;
        limit = String.format(Locale.ROOT, "not run: at %,d streams p99 was already above 10 s", stoppedAt.get(t.name() + u));
      } else if (t.name().equals(latest())) {
        limit = "not a level of this run";
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private static String streamsFigure(Load l) {
    return String.format(Locale.ROOT, "p99 %s; %,.0f of %,d tokens/s; %,d of %,d open", ms(l.p99()), l.tokensPerSecond,
        l.n * Bench.TPS, l.opened, l.n);
  }

  private static String limitOf(Load l) {
    return String.format(Locale.ROOT, "streamchat %.2f + bench %.2f of 2 cores; machine load %s", l.cpuCores,
        l.benchCpuCores, l.loadAverage);
  }

  private Goal highestHttp1Goal() {
    String goal = "the highest level that fits over HTTP/1.1 (descriptors), the same";
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      Load best = null;
      for (Entry e : concurrency.getOrDefault(Upstream.HTTP1, List.of())) {
        if (e.load() != null && e.target().equals(t) && (best == null || e.n() > best.n)) best = e.load();
      }
      if (best == null) continue;
      measured.put(t.name(), String.format(Locale.ROOT, "%,d: ", best.n) + streamsFigure(best));
      if (t.name().equals(latest())) {
        met = best.p99() <= 50 && best.allDelivered();
        limit = limitOf(best);
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private Goal perTokenGoal() {
    String goal = "per token at " + latencyStreams + " streams: median and p99 added ≤ 1.5× nginx's (same run)";
    Map<String, String> measured = new LinkedHashMap<>();
    Recorder nginx = paths.get("nginx");
    Boolean met = null;
    String limit = "";
    if (nginx != null) {
      double n50 = nginx.latency.quantileMs(0.5);
      double n99 = nginx.latency.quantileMs(0.99);
      for (Target t : targets) {
        Recorder r = paths.get("streamchat " + t.name());
        if (r == null) continue;
        double p50 = r.latency.quantileMs(0.5);
        double p99 = r.latency.quantileMs(0.99);
        double r50 = p50 / Math.max(0.001, n50);
        double r99 = p99 / Math.max(0.001, n99);
        measured.put(t.name(), String.format(Locale.ROOT, "median %s (%.2f×), p99 %s (%.2f×); nginx %s / %s", ms(p50), r50,
            ms(p99), r99, ms(n50), ms(n99)));
        if (t.name().equals(latest())) {
          met = r50 <= 1.5 && r99 <= 1.5;
          limit = "streamchat parses, journals and re-frames each token where nginx relays bytes; see Analysis";
        }
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private Goal fanOutGoal() {
    int n = 10_000;
    String goal = "one generation to 10,000 viewers: p99 ≤ 50 ms";
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      for (Entry e : fanOut) {
        if (e.n() != n || !e.target().equals(t)) continue;
        Load l = e.load();
        measured.put(t.name(), streamsFigure(l));
        if (t.name().equals(latest())) {
          met = l.p99() <= 50 && l.allDelivered();
          limit = limitOf(l);
        }
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private static String retryAfterRange(Overload o) {
    if (o.refusedWithRetryAfter == 0) return "–";
    return o.retryAfterMin == o.retryAfterMax ? o.retryAfterMin + " s" : o.retryAfterMin + "–" + o.retryAfterMax + " s";
  }

  private Goal overloadGoal() {
    String goal = "overload (2× what it carried): admits what it can, refuses the rest with 429 + Retry-After, admitted p99 ≤ 100 ms";
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      Overload o = overload.get(t.name());
      if (o == null) continue;
      if (o.load == null) {
        measured.put(t.name(), "not run: " + (o.skipped == null ? "failed" : o.skipped));
        if (t.name().equals(latest())) {
          met = false;
          limit = o.skipped == null ? "the phase failed (see notes)" : o.skipped;
        }
        continue;
      }
      measured.put(t.name(), String.format(Locale.ROOT, "offered %,d: admitted %,d, refused %,d (%,d with Retry-After %s); admitted p99 %s",
          o.offered, o.admitted, o.refused, o.refusedWithRetryAfter, retryAfterRange(o), ms(o.load.p99())));
      if (t.name().equals(latest())) {
        met = o.refused > 0 && o.refusedWithRetryAfter == o.refused && o.load.p99() <= 100 && o.noAnswer + o.otherStatuses == 0;
        limit = String.format(Locale.ROOT, "%,d admitted of %,d offered%s; %s", o.admitted, o.offered,
            o.capacity == null ? "" : String.format(Locale.ROOT, " (%,d carried)", o.capacity.streams()), limitOf(o.load));
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private Goal resumeGoal() {
    String goal = "resume of a 100,000-chunk log ≤ 50 ms to first byte, warm and cold";
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      Resume r = resume.get(t.name());
      if (r == null || r.warm.get(100_000) == null) continue;
      double warm = r.warm.get(100_000).quantileMs(0.5);
      double warmMax = r.warm.get(100_000).maxMs();
      Long coldMicros = r.cold.get(100_000);
      double cold = coldMicros == null ? Double.POSITIVE_INFINITY : coldMicros / 1000.0;
      measured.put(t.name(), String.format(Locale.ROOT, "warm p50 %s (max %s); cold %s", ms(warm), ms(warmMax),
          coldMicros == null ? "–" : ms(cold)));
      if (t.name().equals(latest())) {
        met = warm <= 50 && cold <= 50;
        limit = "see the resume table";
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  private Goal memoryGoal() {
    String goal = "heap ≤ 8 KiB per idle viewer, ≤ 16 KiB per live generation";
    Map<String, String> measured = new LinkedHashMap<>();
    Boolean met = null;
    String limit = "";
    for (Target t : targets) {
      Memory m = memory.get(t.name());
      if (m == null) continue;
      measured.put(t.name(), String.format(Locale.ROOT, "viewer %.1f KiB; generation %.1f KiB (model over HTTP/1.1)%s",
          m.perViewerBytes() / 1024, m.perGenBytes() / 1024, Double.isNaN(m.perGenH2Bytes()) ? ""
              : String.format(Locale.ROOT, ", %.1f KiB (over HTTP/2)", m.perGenH2Bytes() / 1024)));
      if (t.name().equals(latest())) {
        met = m.perViewerBytes() <= 8 * 1024 && m.perGenBytes() <= 16 * 1024;
        limit = "see Analysis";
      }
    }
    return new Goal(goal, measured, met, limit);
  }

  // ---------------------------------------------------------------- formatting

  static String ms(double v) {
    if (Double.isInfinite(v)) return "–";
    if (v < 1) return String.format(Locale.ROOT, "%.3f ms", v);
    if (v < 100) return String.format(Locale.ROOT, "%.2f ms", v);
    return String.format(Locale.ROOT, "%,.0f ms", v);
  }

  private static String fmt(int n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  static String trim(double v) {
    return String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (Exception e) {
      return "?";
    }
  }

  private static String memTotal() {
    try {
      return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
          .findFirst().map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB").orElse("?");
    } catch (Exception e) {
      return "?";
    }
  }
}
