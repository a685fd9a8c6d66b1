package dev.streamchat.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Collects the figures of a run and writes BENCHMARKS.md and the SVG plots. */
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
    Histogram latency = new Histogram();
    long failures;
    long streamsEndedEarly;
    String loadAverage = "?";

    Load(int n) {
      this.n = n;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "n=%d opened=%d ramp=%.1fs p50=%.2fms p99=%.2fms max=%.1fms tok/s=%.0f cpu=%.2f heap=%dMiB failures=%d ended=%d",
          n, opened, rampSeconds, latency.quantileMs(0.5), latency.quantileMs(0.99), latency.maxMs(),
          tokensPerSecond, cpuCores, heapUsed >> 20, failures, streamsEndedEarly);
    }
  }

  static final String ANALYSIS = "## Analysis (written by hand";
  private final Path repo;
  private final boolean quick;
  final List<String> notes = new ArrayList<>();
  String nginxVersion = "?";
  double totalSeconds;
  int latencyStreams;
  int latencyTokens;
  Map<String, Recorder> paths = new LinkedHashMap<>();
  final List<Load> loads = new ArrayList<>();
  final List<Load> fanOut = new ArrayList<>();
  Histogram pageRunning;
  long pageRunningChunks;
  final Map<Integer, Histogram> pageDone = new LinkedHashMap<>();
  final Map<Integer, Histogram> resumeWarm = new LinkedHashMap<>();
  final Map<Integer, Long> resumeCold = new LinkedHashMap<>();
  long heapBase = -1;
  int memGens;
  long heapGens;
  int memViewers;
  long heapViewers;

  Report(Path repo, boolean quick) {
    this.repo = repo;
    this.quick = quick;
  }

  void latency(int streams, int tokens, Map<String, Recorder> measured) {
    latencyStreams = streams;
    latencyTokens = tokens;
    paths = measured;
  }

  void memory(long base, int gens, long withGens, int viewers, long withViewers) {
    heapBase = base;
    memGens = gens;
    heapGens = withGens;
    memViewers = viewers;
    heapViewers = withViewers;
  }

  double perGenBytes() {
    return (heapGens - heapBase) / (double) memGens;
  }

  double perViewerBytes() {
    return (heapViewers - heapGens) / (double) memViewers;
  }

  void write() throws Exception {
    Path plots = repo.resolve("bench/plots");
    Files.createDirectories(plots);
    StringBuilder md = new StringBuilder();
    md.append("# streamchat benchmarks\n\n");
    md.append("Written by `bench/run.sh` (the benchmark in `bench/`, ").append(quick ? "**quick mode**, " : "")
        .append("whole run ").append(Math.round(totalSeconds)).append(" s). **Figures are from a shared, noisy "
            + "machine**: other developers' builds and tests ran on the same 2 cores during the run, and the "
            + "clients, the fake model server and nginx share those cores with streamchat. Read them as "
            + "orders of magnitude and as ratios within one run, not as absolutes.\n\n");
    md.append("## Command and machine\n\n```sh\nbench/run.sh          # builds the app and the benchmark, installs nginx if absent, runs all, writes this file\n```\n\n");
    md.append("| | |\n|---|---|\n");
    md.append("| CPU | ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores (nproc) |\n");
    md.append("| memory | ").append(memTotal()).append(" |\n");
    md.append("| Java | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
        .append(" (streamchat run as `java -jar target/streamchat.jar`, default JVM flags) |\n");
    md.append("| OS | ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(" |\n");
    md.append("| nginx | ").append(nginxVersion).append(" (Debian; `proxy_buffering off`, `worker_processes auto`) |\n\n");
    md.append("Everything runs on loopback (127.0.0.1). The fake model server (bench/.../FakeModelServer) speaks "
        + "the OpenAI chat-completions SSE format; each token's content is ` ~<µs>`, the monotonic time at which it "
        + "was written to the socket; the client (Vert.x HttpClient, same JVM, same clock) records "
        + "*receive time − stamp* for every token: the **added latency**. Only tokens sent after the client's "
        + "stream was open count (replayed ones are not live).\n\n");
    writeLatency(md, plots);
    writeConcurrency(md, plots);
    writeFanOut(md);
    writeResume(md);
    writeMemory(md);
    writeGoals(md);
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

  private void writeLatency(StringBuilder md, Path plots) throws Exception {
    md.append("## Added latency per token, by path\n\n");
    if (paths.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append(String.format(Locale.ROOT, "%d simultaneous streams per path, %d tokens each at %d tokens/s, first "
        + "token after 500 ms; paths run one after another in one run. *direct* = the client reads the fake model "
        + "server itself (the floor: loopback + one HTTP hop); *nginx* = through nginx relaying the same stream; "
        + "*streamchat* = the model streams into streamchat (`OPENAI_BASE_URL`), the client reads "
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
    if (loads.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Each generation streams from the fake model server through streamchat to its own viewer (its own "
        + "session). A fresh streamchat process per level; generations are opened 100 at a time, then after 3 s "
        + "the clients record for a window. CPU is user+system time over the window, in cores, of streamchat's "
        + "process and of the benchmark's own process (clients and fake model server); heap is streamchat's, "
        + "in use at the end of the window, garbage included; *machine load avg* is the 1-minute load average "
        + "of the whole (shared) machine at the end of the window.\n\n");
    md.append(loadHeader("streams"));
    loads.forEach(l -> md.append(loadRow(l)));
    String cross = crossing(loads);
    md.append("\n**p99 passes 100 ms:** ").append(cross).append("\n\n");
    List<Svg.Series> s = new ArrayList<>();
    s.add(series("p50", loads, 0.5));
    s.add(series("p99", loads, 0.99));
    s.add(series("max", loads, 1));
    Files.writeString(plots.resolve("latency-vs-concurrency.svg"), Svg.chart(
        "Added latency through streamchat vs simultaneous generations (" + Bench.TPS + " tok/s each)",
        new Svg.Axis("simultaneous generations (log)", true, Svg.logTicks(10, 100000), Report::trim),
        new Svg.Axis("added latency (ms, log)", true, Svg.logTicks(0.01, 1000000), Report::trim), s));
    md.append("![added latency vs concurrency](bench/plots/latency-vs-concurrency.svg)\n\n");
  }

  private void writeFanOut(StringBuilder md) {
    md.append("## Fan-out: one generation, N viewers\n\n");
    if (fanOut.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("One generation at ").append(Bench.TPS).append(" tokens/s from the fake model server, N viewers of "
        + "the same session on `GET /api/generations/{id}/events`.\n\n");
    md.append(loadHeader("viewers"));
    fanOut.forEach(l -> md.append(loadRow(l)));
    md.append('\n');
  }

  private static String loadHeader(String what) {
    return "| " + what + " | opened | setup (s) | added p50 | p99 | max | tokens delivered/s | expected/s | streamchat CPU (cores) | bench CPU (cores) | heap used | failures | machine load avg |\n"
        + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  }

  private static String loadRow(Load l) {
    return String.format(Locale.ROOT, "| %,d | %,d | %.1f | %s | %s | %s | %,.0f | %,d | %.2f | %.2f | %d MiB | %d | %s |\n", l.n, l.opened,
        l.rampSeconds, ms(l.latency.quantileMs(0.5)), ms(l.latency.quantileMs(0.99)), ms(l.latency.maxMs()),
        l.tokensPerSecond, l.opened * Bench.TPS, l.cpuCores, l.benchCpuCores, l.heapUsed >> 20, l.failures, l.loadAverage);
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
        return prev == null ? "already at " + l.n + " streams (p99 " + ms(p99) + ")"
            : "between " + prev.n + " streams (p99 " + ms(prev.latency.quantileMs(0.99)) + ") and " + l.n
                + " streams (p99 " + ms(p99) + ")";
      }
      prev = l;
    }
    return prev == null ? "not measured" : "not reached up to " + prev.n + " streams (p99 " + ms(prev.latency.quantileMs(0.99)) + ")";
  }

  private void writeResume(StringBuilder md) {
    md.append("## Resume and reload\n\n");
    if (resumeWarm.isEmpty()) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append("Logs written by the demo model (`STREAMCHAT_DEMO_TPS=20000`). *Resume* = `GET /api/generations/{id}/events` "
        + "with `Last-Event-ID: N/2`, timed from sending the request to the arrival of the first replayed chunk's "
        + "bytes. *Warm*: the log is in memory (running or recently ended); *cold*: first request after a restart "
        + "of streamchat, the log is read back from its file. *Page*: `GET /c/{id}`, the whole chat page with the "
        + "answer rendered.\n\n");
    md.append("| log (chunks) | resume warm p50 | warm max | resume cold | page reload p50 | page max |\n|---:|---:|---:|---:|---:|---:|\n");
    for (var e : resumeWarm.entrySet()) {
      Histogram page = pageDone.get(e.getKey());
      Long cold = resumeCold.get(e.getKey());
      md.append(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %s |\n", e.getKey(), ms(e.getValue().quantileMs(0.5)),
          ms(e.getValue().maxMs()), cold == null ? "–" : ms(cold / 1000.0), ms(page.quantileMs(0.5)), ms(page.maxMs())));
    }
    if (pageRunning != null) {
      md.append(String.format(Locale.ROOT, "\nReload of the chat page in the middle of a long running answer (%,d chunks "
          + "so far, still streaming at 20,000 tokens/s): p50 %s, max %s over %d loads.\n", pageRunningChunks,
          ms(pageRunning.quantileMs(0.5)), ms(pageRunning.maxMs()), pageRunning.count()));
    }
    md.append('\n');
  }

  private void writeMemory(StringBuilder md) {
    md.append("## Memory\n\n");
    if (heapBase < 0) {
      md.append("Not measured in this run.\n\n");
      return;
    }
    md.append(String.format(Locale.ROOT, "Heap in use after two full GCs (`jcmd GC.run`, then `GC.heap_info`), "
        + "generations streaming from the fake OpenAI server at 1 token/s. Baseline %s; with %,d live generations (no viewers) %s; with %,d more idle "
        + "viewers of one generation %s.\n\n", mib(heapBase), memGens, mib(heapGens), memViewers, mib(heapViewers)));
    md.append(String.format(Locale.ROOT, "| | heap each |\n|---|---:|\n| live generation (OpenAI-compatible upstream, no viewer) | %.1f KiB |\n"
        + "| idle viewer (open SSE connection) | %.1f KiB |\n\n", perGenBytes() / 1024, perViewerBytes() / 1024));
    md.append("Netty's socket buffers are pooled direct memory and not in these heap figures.\n\n");
  }

  private void writeGoals(StringBuilder md) {
    md.append("## The goals of issue 8, measured\n\n| goal | measured | met |\n|---|---|---|\n");
    Recorder chat = paths.get("streamchat");
    Recorder nginx = paths.get("nginx");
    if (chat != null) {
      double p50 = chat.latency.quantileMs(0.5);
      double p99 = chat.latency.quantileMs(0.99);
      md.append(String.format(Locale.ROOT, "| added latency median ≤ 1 ms at %d streams | %s | %s |\n", latencyStreams, ms(p50), yes(p50 <= 1)));
      md.append(String.format(Locale.ROOT, "| added latency p99 ≤ 5 ms at %d streams | %s | %s |\n", latencyStreams, ms(p99), yes(p99 <= 5)));
      if (nginx != null) {
        double r50 = p50 / Math.max(0.001, nginx.latency.quantileMs(0.5));
        double r99 = p99 / Math.max(0.001, nginx.latency.quantileMs(0.99));
        md.append(String.format(Locale.ROOT, "| within 1.5× of nginx | median %.2f×, p99 %.2f× nginx's | %s |\n", r50, r99,
            yes(r50 <= 1.5 && r99 <= 1.5)));
      }
    }
    Load tenK = loads.stream().filter(l -> l.n == 10_000).findFirst().orElse(null);
    if (tenK != null) {
      double p99 = tenK.latency.quantileMs(0.99);
      md.append(String.format(Locale.ROOT, "| 10,000 concurrent streams, p99 added ≤ 50 ms | p99 %s, %,.0f of %,d tokens/s delivered | %s |\n",
          ms(p99), tenK.tokensPerSecond, 10_000 * Bench.TPS, yes(p99 <= 50 && tenK.latency.count() > 0)));
    }
    if (heapBase >= 0) {
      md.append(String.format(Locale.ROOT, "| ≤ 16 KiB heap per idle viewer | %.1f KiB | %s |\n", perViewerBytes() / 1024,
          yes(perViewerBytes() <= 16 * 1024)));
    }
    Long cold = resumeCold.get(100_000);
    Histogram warm = resumeWarm.get(100_000);
    if (warm != null) {
      md.append(String.format(Locale.ROOT, "| resume of a 100,000-chunk log ≤ 50 ms to first byte | warm p50 %s; cold (read from file) %s | %s |\n",
          ms(warm.quantileMs(0.5)), cold == null ? "–" : ms(cold / 1000.0), yes(warm.quantileMs(0.5) <= 50)
              + (cold != null && cold / 1000.0 > 50 ? " (warm); no (cold)" : "")));
    }
    md.append('\n');
  }

  private static String yes(boolean b) {
    return b ? "yes" : "**no**";
  }

  static String ms(double v) {
    if (v < 1) return String.format(Locale.ROOT, "%.3f ms", v);
    if (v < 100) return String.format(Locale.ROOT, "%.2f ms", v);
    return String.format(Locale.ROOT, "%,.0f ms", v);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    return s;
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
