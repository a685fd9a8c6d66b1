package dev.streamchat.bench;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.journal.Durability;
import dev.streamchat.stream.journal.Journal;
import dev.streamchat.stream.journal.JournalOptions;
import dev.streamchat.stream.journal.SegmentJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Figures of the embedded journal: appends per second in {@code os} and {@code disk} mode (one
 * appender waiting for each append, and 100 generations appending at once as live streams do),
 * cold and warm resume of a 100,000-chunk generation, recovery time, and bytes on disk per byte of
 * text before and after compaction.
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.JournalBenchmark
 */
public final class JournalBenchmark {

  private static final String[] TOKENS = {" the", " stream", " log", " is", " the", " truth", ",", " always"};
  private static final int LONG = 100_000;

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    Path base = Files.createTempDirectory("streamchat-journal-bench");
    try {
      for (Durability mode : Durability.values()) {
        Path dir = base.resolve(mode.name());
        SegmentJournal j = open(vertx, dir, mode);
        int single = mode == Durability.OS ? 50_000 : 2_000;
        sequential(j, "warmup-" + mode, single / 5);
        double perSecond = sequential(j, "single-" + mode, single);
        System.out.printf("%-4s one appender, each append awaited: %,9.0f appends/s (%,d appends)%n",
            mode.name().toLowerCase(), perSecond, single);
        int streams = 100;
        int each = mode == Durability.OS ? 1_000 : 100;
        long writesBefore = j.stats().writeCalls();
        double concurrent = concurrent(j, mode.name(), streams, each);
        System.out.printf("%-4s %d streams at once:            %,9.0f appends/s (%,d appends in %,d writes)%n",
            mode.name().toLowerCase(), streams, concurrent, streams * each, j.stats().writeCalls() - writesBefore);
        await(j.close());
      }

      heapPerGeneration(vertx, base.resolve("heap"));

      Path dir = base.resolve("resume");
      SegmentJournal j = open(vertx, dir, Durability.OS);
      await(j.start(info("long")));
      await(j.start(info("other")));
      for (int i = 1; i <= LONG; i++) {
        Future<Void> f = j.append("long", List.of(chunk(i)));
        if (i % 4 == 0) await(j.append("other", List.of(chunk(i / 4)))); // another stream interleaved
        await(f);
      }
      await(j.end("other", end()));
      await(j.close());
      System.out.printf("a %,d-chunk generation (running) interleaved with another: journal %,d bytes%n", LONG,
          dirBytes(dir));
      resume(vertx, dir, "running");

      j = open(vertx, dir, Durability.OS);
      await(j.end("long", end()));
      SegmentJournal.Stats before = j.stats();
      long t0 = System.nanoTime();
      await(j.compact());
      double compactMs = (System.nanoTime() - t0) / 1e6;
      SegmentJournal.Stats after = j.stats();
      System.out.printf("bytes on disk per byte of text: %.2f before compaction, %.2f after (%,d -> %,d bytes, "
              + "%,d bytes of text; compaction took %.0f ms)%n", (double) before.diskBytes() / before.textBytes(),
          (double) after.diskBytes() / after.textBytes(), before.diskBytes(), after.diskBytes(), after.textBytes(),
          compactMs);
      await(j.close());
      resume(vertx, dir, "compacted");
    } finally {
      await(vertx.close());
      TestServer.deleteTree(base);
    }
  }

  /** Cold: a fresh journal over the files (recovery timed apart); warm: the same read again. */
  private static void resume(Vertx vertx, Path dir, String label) throws Exception {
    long t0 = System.nanoTime();
    SegmentJournal j = open(vertx, dir, Durability.OS);
    double recoverMs = (System.nanoTime() - t0) / 1e6;
    long after = LONG / 2;
    t0 = System.nanoTime();
    Journal.Slice first = await(j.read("long", after, 16 * 1024)).orElseThrow();
    double coldMs = (System.nanoTime() - t0) / 1e6;
    if (first.chunks().get(0).seq() != after + 1) throw new AssertionError("resume is off by a chunk");
    double[] warm = new double[200];
    for (int i = 0; i < warm.length; i++) {
      long from = (long) (Math.random() * LONG);
      t0 = System.nanoTime();
      await(j.read("long", from, 16 * 1024));
      warm[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(warm);
    System.out.printf("resume of the %,d-chunk generation (%s): recovery on open %.1f ms; first 16 KiB slice "
            + "after chunk %,d cold %.2f ms; warm (200 reads after random chunks) median %.3f ms, p99 %.3f ms, max %.3f ms%n",
        LONG, label, recoverMs, after, coldMs, warm[warm.length / 2], warm[warm.length * 99 / 100], warm[warm.length - 1]);
    await(j.close());
  }

  /** Heap the journal keeps per generation (start and end records, counters, index), measured after a GC. */
  private static void heapPerGeneration(Vertx vertx, Path dir) throws Exception {
    int n = 20_000;
    SegmentJournal j = open(vertx, dir, Durability.OS);
    long before = usedHeapAfterGc();
    for (int g = 0; g < n; g++) {
      String id = java.util.UUID.randomUUID().toString();
      await(j.start(new GenerationInfo(id, java.util.UUID.randomUUID().toString(), java.util.UUID.randomUUID()
          .toString(), "openai:gpt-4o-mini", System.currentTimeMillis())));
      List<Chunk> chunks = new ArrayList<>();
      for (int i = 1; i <= 20; i++) chunks.add(chunk(i));
      await(j.append(id, chunks));
      if (g % 2 == 0) await(j.end(id, end()));
    }
    long after = usedHeapAfterGc();
    System.out.printf("heap per generation kept in the journal (half running, half ended): %,d bytes%n",
        (after - before) / n);
    await(j.close());
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static double sequential(SegmentJournal j, String id, int n) throws Exception {
    await(j.start(info(id)));
    long t0 = System.nanoTime();
    for (int i = 1; i <= n; i++) await(j.append(id, List.of(chunk(i))));
    double s = (System.nanoTime() - t0) / 1e9;
    await(j.end(id, end()));
    return n / s;
  }

  /** Each stream waits for its append before the next, as the stream store does; all run at once. */
  private static double concurrent(SegmentJournal j, String prefix, int streams, int each) throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < streams; s++) await(j.start(info(prefix + "-" + s)));
    long t0 = System.nanoTime();
    for (int s = 0; s < streams; s++) {
      String id = prefix + "-" + s;
      Thread t = new Thread(() -> {
        try {
          for (int i = 1; i <= each; i++) await(j.append(id, List.of(chunk(i))));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
    return (double) streams * each / ((System.nanoTime() - t0) / 1e9);
  }

  private static SegmentJournal open(Vertx vertx, Path dir, Durability mode) throws Exception {
    SegmentJournal j = new SegmentJournal(vertx, dir, JournalOptions.of(mode).withCompaction(false, 0));
    await(j.recover());
    return j;
  }

  private static long dirBytes(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      long sum = 0;
      for (Path f : (Iterable<Path>) files::iterator) sum += Files.size(f);
      return sum;
    }
  }

  private static Chunk chunk(long seq) {
    return new Chunk(seq, Chunk.Kind.TEXT, TOKENS[(int) (seq % TOKENS.length)]);
  }

  private static GenerationInfo info(String id) {
    return new GenerationInfo(id, "conversation", "owner", "demo", System.currentTimeMillis());
  }

  private static GenerationEnd end() {
    return new GenerationEnd(GenerationState.DONE, null, FinishReason.STOP, Usage.UNKNOWN,
        System.currentTimeMillis(), 0);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }
}
