package dev.streamchat.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Redis for one test: the machine's at 127.0.0.1:6379 under a key prefix of the test's own (so
 * parallel runs never meet), or a {@code redis-server} of the test's own on a free port that the
 * test may stop and start again. Where neither is there the test is skipped, saying so.
 */
public final class TestRedis implements AutoCloseable {

  private final int port;
  private final String prefix = "sctest-" + UUID.randomUUID().toString().substring(0, 8);
  private Process server;
  private Path dir;
  private boolean appendOnly;

  private TestRedis(int port) {
    this.port = port;
  }

  /** The machine's Redis; skips the calling test when it does not answer. */
  public static TestRedis machine() {
    Assumptions.assumeTrue(answers(6379), "Redis at 127.0.0.1:6379 is not reachable, so this test is skipped");
    return new TestRedis(6379);
  }

  /** A redis-server of this test's own on a free port; skips the test when redis-server is not installed. */
  public static TestRedis own() throws Exception {
    return own(false);
  }

  /** As {@link #own()}; with {@code appendOnly} it keeps its data across a stop and start (fsync always). */
  public static TestRedis own(boolean appendOnly) throws Exception {
    Assumptions.assumeTrue(new File("/usr/bin/redis-server").canExecute() || onPath("redis-server"),
        "redis-server is not installed, so this test (which stops and starts its own Redis) is skipped");
    TestRedis r = new TestRedis(freePort());
    r.appendOnly = appendOnly;
    r.dir = Files.createTempDirectory("streamchat-redis");
    r.startServer();
    return r;
  }

  private static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, name).canExecute()) return true;
    }
    return false;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts (or starts again) the test's own server; waits until it answers. */
  public void startServer() throws Exception {
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!answers(port)) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("redis-server did not start on " + port);
      Thread.sleep(50);
    }
  }

  /** Stops the test's own server (its data goes with it: nothing is saved). */
  public void stopServer() throws Exception {
    server.destroy();
    server.waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends one inline command (words without spaces) and returns the first line of the reply. */
  public String command(String inline) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  public String url() {
    return "redis://127.0.0.1:" + port + "/0";
  }

  public String prefix() {
    return prefix;
  }

  /** Environment variables that make an instance one of this test's service. */
  public Map<String, String> env(Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    env.put("STREAMCHAT_REDIS_URL", url());
    env.put("STREAMCHAT_REDIS_PREFIX", prefix);
    return env;
  }

  /** Deletes every key under this test's prefix (the machine's Redis is shared). */
  private void forgetKeys() throws IOException {
    java.util.List<String> found = new java.util.ArrayList<>();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("KEYS " + prefix + ":*\r\n").getBytes(StandardCharsets.US_ASCII));
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String head = in.readLine();
      int n = head != null && head.startsWith("*") ? Integer.parseInt(head.substring(1)) : 0;
      for (int i = 0; i < n; i++) {
        in.readLine(); // $length
        found.add(in.readLine());
      }
      for (String key : found) {
        s.getOutputStream().write(("*2\r\n$3\r\nDEL\r\n$" + key.getBytes(StandardCharsets.UTF_8).length + "\r\n" + key + "\r\n")
            .getBytes(StandardCharsets.UTF_8));
        in.readLine();
      }
    }
  }

  @Override
  public void close() throws Exception {
    if (server == null && answers(port)) forgetKeys();
    if (server != null) {
      stopServer();
      TestServer.deleteTree(dir);
    }
  }
}
