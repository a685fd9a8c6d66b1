package dev.streamchat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * streamchat as the operator runs it: {@code java -jar streamchat.jar} in a child process, with
 * its environment, its log in a file, and the readings the benchmark takes of it (CPU time from
 * /proc, heap from jcmd).
 */
final class AppProcess implements AutoCloseable {

  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  final Process process;
  final int port;
  final Path log;

  private AppProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Where each streamchat process writes a JFR recording (named for its log's folder), or null: none. */
  static Path profileDir;

  static AppProcess start(Path jar, Path dataDir, Map<String, String> env, Path log) throws Exception {
    Files.createDirectories(dataDir);
    List<String> command = new ArrayList<>(List.of("java"));
    if (profileDir != null) {
      Files.createDirectories(profileDir);
      Path recording = profileDir.resolve(log.getParent().getFileName() + "-" + log.getFileName() + ".jfr");
      command.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + recording);
    }
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(log.toFile())
        // Not the repository: Vert.x resolves templates/ and webroot/ from the working directory
        // before the jar, and a jar of another commit must render its own.
        .directory(log.getParent().toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("STREAMCHAT_") || k.startsWith("OPENAI_")
        || k.startsWith("OLLAMA_") || k.startsWith("ANTHROPIC_"));
    pb.environment().put("STREAMCHAT_PORT", "0");
    pb.environment().put("STREAMCHAT_DATA_DIR", dataDir.toString());
    pb.environment().put("STREAMCHAT_ADMIN_TOKEN", "bench");
    // The benchmark's load is the point: lift the per-process bounds that would refuse it.
    pb.environment().put("STREAMCHAT_MAX_GENERATIONS", "1000000");
    pb.environment().put("STREAMCHAT_MAX_VIEWERS_PER_GENERATION", "100000");
    pb.environment().put("STREAMCHAT_MAX_VIEWERS_PER_SESSION", "100000");
    pb.environment().put("STREAMCHAT_MESSAGES_PER_MINUTE", "1000000");
    // Admission by pressure too (builds without it ignore these): the phases measure what happens
    // past the point where it would refuse; the overload phase puts it back.
    pb.environment().put("STREAMCHAT_ADMIT_MAX_LOOP_DELAY_MS", "600000");
    pb.environment().put("STREAMCHAT_ADMIT_MAX_PENDING_KB", "67108864");
    // An empty value unsets a variable, so the app's own default applies (e.g. its admission limit).
    env.forEach((k, v) -> {
      if (v.isEmpty()) pb.environment().remove(k);
      else pb.environment().put(k, v);
    });
    Process p = pb.start();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (!p.isAlive()) throw new IllegalStateException("streamchat exited: " + tail(log));
      Matcher m = PORT.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) return new AppProcess(p, Integer.parseInt(m.group(1)), log);
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new IllegalStateException("streamchat did not start in 60 s: " + tail(log));
  }

  /** CPU seconds (user + system) the process has used so far. */
  double cpuSeconds() {
    return cpuSecondsOf(process.pid());
  }

  static double cpuSecondsOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Open file descriptors (sockets and files) of the process now. */
  long descriptors() {
    return descriptorsOf(process.pid());
  }

  static long descriptorsOf(long pid) {
    try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Of the open descriptors, how many are sockets. */
  long sockets() {
    try (var fds = Files.list(Path.of("/proc/" + process.pid() + "/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException gone) {
          return false;
        }
      }).count();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Heap in use now, in bytes, garbage included. */
  long heapUsed() {
    return parseHeap(jcmd("GC.heap_info"));
  }

  /**
   * The heap really held, in bytes: the live objects that {@code GC.class_histogram} counts in the
   * pause of its own full collection, written by class to {@code file} to say what holds them.
   * Not {@code GC.heap_info} after a {@code GC.run}: that counts whatever the running server
   * allocated between the two commands (whole TLABs of it), megabytes under load, and the figures
   * per viewer or generation swung by several KiB from one run to the next.
   */
  long liveHeap(Path file) throws IOException, InterruptedException {
    jcmd("GC.run"); // as before: what a first collection leaves for finalization is gone by the second
    Thread.sleep(200);
    String histogram = jcmd("GC.class_histogram");
    Files.writeString(file, histogram);
    Matcher m = HISTOGRAM_TOTAL.matcher(histogram);
    if (!m.find()) throw new IllegalStateException("no total in the class histogram: " + histogram);
    return Long.parseLong(m.group(1));
  }

  private static long parseHeap(String info) {
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) throw new IllegalStateException("no heap figure in: " + info);
    return Long.parseLong(m.group(1)) * 1024;
  }

  private String jcmd(String command) {
    try {
      Process p = new ProcessBuilder("jcmd", String.valueOf(process.pid()), command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException("jcmd " + command + ": " + e);
    }
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.substring(Math.max(0, s.length() - 2000));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
