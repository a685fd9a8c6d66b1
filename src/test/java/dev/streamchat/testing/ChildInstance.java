package dev.streamchat.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

  /** Starts the process (again); returns once it listens. */
  public void startAgain() throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp",
        System.getProperty("java.class.path"), "dev.streamchat.app.Main").redirectErrorStream(true);
    pb.environment().putAll(env);
    TestServer.liftLoopDelayAdmission(pb.environment());
    Process p = pb.start();
    process = p;
    CountDownLatch listening = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
          if (line.contains("listening on port")) listening.countDown();
        }
      } catch (java.io.IOException ignored) {
        // the process was killed
      }
    }, "child-" + port);
    reader.setDaemon(true);
    reader.start();
    if (!listening.await(60, TimeUnit.SECONDS)) {
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
