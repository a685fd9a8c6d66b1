package dev.streamchat.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.chat.Problem;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * How large the H2 file grows for how much text: many small commits (a message, then its answer
 * saved), as a busy instance makes them. Prints the file size against the bytes of text stored,
 * while running and through 12 idle seconds of background compaction. A main, not a test:
 * {@code java -cp ... dev.streamchat.bench.H2FileSizeBenchmark [exchanges]}.
 */
public final class H2FileSizeBenchmark {

  private H2FileSizeBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    int exchanges = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    Path dir = Files.createTempDirectory("h2size");
    Vertx vertx = Vertx.vertx();
    HikariDataSource ds = Database.open(Optional.empty(), dir);
    JdbcChatStore store = new JdbcChatStore(vertx, ds, ds);
    Path file = dir.resolve("streamchat.mv.db");
    long textBytes = 0;
    long started = System.nanoTime();
    String answer = "An answer of a few hundred bytes. ".repeat(10);
    int refused = 0;
    for (int i = 0; i < exchanges; i++) {
      try {
        var conv = store.createConversation("owner", "t", "demo").await();
        String gid = UUID.randomUUID().toString();
        store.addExchange(conv.id(), "question " + i, gid, "demo").await();
        store.saveAnswer(gid, answer, null, "done", null).await();
        textBytes += answer.length() + ("question " + i).length();
      } catch (Problem p) {
        refused++; // a compaction's pause outlasted a call's deadline: 503, as a request would get
        Thread.sleep(300);
      }
      if ((i + 1) % (exchanges / 5) == 0) {
        System.out.printf("%6d exchanges, %7d KB of text, file %8d KB%n", i + 1, textBytes / 1024,
            Files.size(file) / 1024);
      }
    }
    System.out.printf("writes took %d ms; %d exchanges refused with 503%n", (System.nanoTime() - started) / 1_000_000,
        refused);
    for (int s = 0; s < 6; s++) {
      Thread.sleep(2_000);
      System.out.printf("idle %2d s: file %8d KB for %d KB of text%n", (s + 1) * 2, Files.size(file) / 1024,
          textBytes / 1024);
    }
    store.close().await();
    vertx.close().await();
    System.out.printf("after close: file %d KB%n", Files.size(file) / 1024);
    TestServer.deleteTree(dir);
  }
}
