package dev.streamchat.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An instance of a service in a process of its own ({@code java dev.streamchat.app.Main}, as an
 * operator runs it) on a fixed port, so it can be killed ({@code kill -9}), stopped ({@code SIGTERM})
 * and started again under the same address.
 */
public final class ChildInstance implements AutoCloseable {

  private final int port;
  private final Map<String, String> env;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private Process process;

  private ChildInstance(int port, Map<String, String> env) {
    this.port = port;
    this.env = env;
  }

  /** Starts one on a free port; its data dir is {@code dir}. */
  public static ChildInstance start(Path dir, Map<String, String> env) throws Exception {
    int port = TestRedis.freePort();
    Map<String, String> all = new HashMap<>(env);
    all.put("STREAMCHAT_PORT", Integer.toString(port));
    all.put("STREAMCHAT_INSTANCE_ADDRESS", "127.0.0.1:" + port);
    all.put("STREAMCHAT_DATA_DIR", dir.toString());
    ChildInstance child = new ChildInstance(port, all);
    child.startAgain();
    return child;
  }

  /**
   * Starts one per data dir, side by side (a start is mostly a JVM warming up, so three in a row
   * take about three times as long as three at once); returns once all listen. The database must
   * be migrated already (by an instance started before): migrations running at once collide.
   */
  public static List<ChildInstance> startAll(List<Path> dirs, Map<String, String> env) throws Exception {
    ExecutorService starter = Executors.newFixedThreadPool(dirs.size());
    try {
      List<Future<ChildInstance>> starts = new ArrayList<>();
      for (Path dir : dirs) starts.add(starter.submit(() -> start(dir, env)));
      List<ChildInstance> started = new ArrayList<>();
      ExecutionException failed = null;
      for (Future<ChildInstance> f : starts) {
        try {
          started.add(f.get());
        } catch (ExecutionException e) {
          failed = e;
        }
      }
      if (failed != null) {
        for (ChildInstance c : started) c.close();
        throw failed.getCause() instanceof Exception e ? e : failed;
      }
      return started;
    } finally {
      starter.shutdown();
    }
  }

  /**
   * The command that runs streamchat (its Main, on the tests' class path) in a JVM of its own. The
   * JIT stops at its quick first tier: a child lives for seconds, and the optimising compiler's
   * work at start (on a shared 2-core machine) would only delay its listening by a third or more.
   */
  public static List<String> mainCommand() {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    return List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.streamchat.app.Main");
  }

  /** Starts the process (again); returns once it listens. */
  public void startAgain() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(mainCommand()).redirectErrorStream(true);
    pb.environment().putAll(env);
    TestServer.liftLoopDelayAdmission(pb.environment());
    Process p = pb.start();
    process = p;
    AtomicBoolean listening = new AtomicBoolean();
    CountDownLatch settled = new CountDownLatch(1); // listening, or the process gone (no waiting out the 60 s)
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
          if (line.contains("listening on port")) {
            listening.set(true);
            settled.countDown();
          }
        }
      } catch (java.io.IOException ignored) {
        // the process was killed
      } finally {
        settled.countDown();
      }
    }, "child-" + port);
    reader.setDaemon(true);
    reader.start();
    if (!settled.await(60, TimeUnit.SECONDS) || !listening.get()) {
      p.destroyForcibly();
      throw new AssertionError("the instance on " + port + " did not start within 60 s:\n" + String.join("\n", output));
    }
  }

  public int port() {
    return port;
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** {@code kill -9}: no goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** {@code SIGTERM}: a clean shutdown; returns once the process has exited. */
  public void terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) throw new AssertionError("the instance on " + port + " did not exit on SIGTERM");
  }

  /** What the process wrote, line by line. */
  public List<String> output() {
    return List.copyOf(output);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) kill();
  }
}
