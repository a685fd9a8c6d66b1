package dev.streamchat.bench;

import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the admin view costs: the process CPU of a server running 200 demo generations at 20
 * tokens/s, over 10 s with the admin SSE stream closed, open, and closed again. Prints figures;
 * asserts nothing. Run: mvn -o test -Dtest=AdminViewCostBenchmark -Dbench=true
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class AdminViewCostBenchmark {

  private static final String TOKEN = "bench-token";
  private static final int GENERATIONS = 200;
  private static final long PHASE_MS = 10_000;

  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final int cores = Runtime.getRuntime().availableProcessors();

  @Test
  void adminStreamOpenAgainstClosed() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_ADMIN_TOKEN", TOKEN, "STREAMCHAT_DEMO_TPS", "20"))) {
      ApiClient user = server.client();
      for (int i = 0; i < GENERATIONS; i++) user.ask(user.newConversation(), "load " + i, 5_000);
      Thread.sleep(3_000); // warm up
      System.out.printf(Locale.ROOT, "admin view cost: %d live demo generations at 20 tokens/s, %d cores%n",
          GENERATIONS, cores);
      double closed1 = phase("admin stream closed");

      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      AtomicLong events = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      AtomicLong readerCpuNs = new AtomicLong();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(server.url("/admin/stream")))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofInputStream());
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            bytes.addAndGet(line.length() + 1);
            if (line.startsWith("event:")) events.incrementAndGet();
            readerCpuNs.set(threads.getCurrentThreadCpuTime());
          }
        } catch (Exception closed) {
          // the stream is closed at the end of the phase
        }
      }, "admin-stream-reader");
      reader.start();
      Thread.sleep(1_000);
      long events0 = events.get();
      long bytes0 = bytes.get();
      long reader0 = readerCpuNs.get();
      double open = phase("admin stream open  ");
      long readerNs = readerCpuNs.get() - reader0;
      System.out.printf(Locale.ROOT, "  admin stream: %.1f events/s, %.1f KiB/s; its in-JVM reader used %.2f%% of one core"
              + " (included above; a browser would spend it in its own process)%n",
          (events.get() - events0) * 1000.0 / PHASE_MS, (bytes.get() - bytes0) / 1024.0 * 1000 / PHASE_MS,
          readerNs / 1e6 / PHASE_MS * 100);
      stream.body().close();
      reader.join(5_000);
      Thread.sleep(1_000);
      double closed2 = phase("admin stream closed");
      double base = (closed1 + closed2) / 2;
      System.out.printf(Locale.ROOT, "  => the open admin stream adds %.2f%% of one core (%.1f%% over the closed average)%n",
          (open - base) * cores * 100, base == 0 ? 0 : (open - base) / base * 100);
    }
  }

  /** Process CPU over one phase, as a fraction of all cores; prints it. */
  private double phase(String name) throws InterruptedException {
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    Thread.sleep(PHASE_MS);
    long cpu = os.getProcessCpuTime() - cpu0;
    long wall = System.nanoTime() - t0;
    double share = (double) cpu / wall / cores;
    System.out.printf(Locale.ROOT, "  %s: process CPU %.2f s in %.2f s = %.1f%% of %d cores (%.1f%% of one core)%n",
        name, cpu / 1e9, wall / 1e9, share * 100, cores, share * cores * 100);
    return share;
  }
}
