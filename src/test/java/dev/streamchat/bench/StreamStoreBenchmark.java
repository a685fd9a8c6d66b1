package dev.streamchat.bench;

import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.JournalStreamStore;
import dev.streamchat.stream.journal.PerFileJournal;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * How many chunks a second the stream store over the per-file journal accepts with its durability
 * on (each batch is written to the OS before it is visible), in batches of {@value #BATCH} as the
 * journal writer sends them when the model is faster than the disk, and the log's bytes per 1,000
 * token-sized chunks.
 * For scale it also times a flush to the disk (fsync) per chunk, which the store does not do.
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.StreamStoreBenchmark
 */
public final class StreamStoreBenchmark {

  private static final int BATCH = 16;
  private static final String[] TOKENS = {" the", " stream", " log", " is", " the", " truth", ",", " always"};

  public static void main(String[] args) throws Exception {
    int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory("streamchat-bench");
    try {
      JournalStreamStore store = new JournalStreamStore(new PerFileJournal(vertx, dir));
      run(store, 20_000);  // warm-up
      for (int round = 1; round <= 3; round++) {
        long t0 = System.nanoTime();
        String id = run(store, chunks);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long bytes = Files.size(dir.resolve("streams").resolve(id + ".jsonl"));
        System.out.printf("round %d: %,d chunks in %.2f s = %,.0f chunks/s; log %,d bytes = %.0f bytes per 1,000 chunks%n",
            round, chunks, seconds, chunks / seconds, bytes, bytes * 1000.0 / chunks);
      }
      int synced = 2_000;
      Path f = dir.resolve("fsync.bin");
      try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND)) {
        byte[] line = "{\"t\":\"c\",\"seq\":17,\"k\":\"t\",\"v\":\" stream\"}\n".getBytes();
        long t0 = System.nanoTime();
        for (int i = 0; i < synced; i++) {
          ch.write(java.nio.ByteBuffer.wrap(line));
          ch.force(false);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("for scale, write+fsync per chunk: %,.0f chunks/s (%,d chunks)%n", synced / seconds, synced);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
      TestServer.deleteTree(dir);
    }
  }

  private static String run(JournalStreamStore store, int chunks) throws Exception {
    String id = UUID.randomUUID().toString();
    store.start(new GenerationInfo(id, "c", "o", "demo", System.currentTimeMillis())).await();
    for (int i = 0; i < chunks; i += BATCH) {
      List<Chunk> batch = new ArrayList<>(BATCH);
      for (int j = i; j < Math.min(chunks, i + BATCH); j++) {
        batch.add(new Chunk(j + 1, Chunk.Kind.TEXT, TOKENS[j % TOKENS.length]));
      }
      store.append(id, batch).await();
    }
    store.finish(id, new GenerationEnd(GenerationState.DONE, null, null, Usage.UNKNOWN, System.currentTimeMillis(), 0))
        .await();
    return id;
  }
}
