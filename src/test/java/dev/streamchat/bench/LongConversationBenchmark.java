package dev.streamchat.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Opens a conversation of 500 messages whose answers are 10,000 tokens each, and prints how long
 * the page takes (it renders the latest messages; older ones load on scroll) next to what
 * sending the whole conversation costs. Then measures the data dir's bytes per 1,000 tokens of
 * answers written through the app (stream log plus database).
 * Run: java -cp target/test-classes:target/classes:$(cat cp.txt) dev.streamchat.bench.LongConversationBenchmark
 */
public final class LongConversationBenchmark {

  private static final int MESSAGES = 500;
  private static final int ANSWER_TOKENS = 10_000;

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("streamchat-long");
    Map<String, String> env = Map.of("STREAMCHAT_DEMO_TPS", "1000000");
    try {
      ApiClient client;
      String conv;
      try (TestServer server = TestServer.startOn(dir, env)) {
        client = server.client();
        conv = client.newConversation();
      }
      long t0 = System.nanoTime();
      seed(dir, conv);
      System.out.printf("seeded %d messages (%d answers of %,d tokens) in %.1f s%n", MESSAGES, MESSAGES / 2,
          ANSWER_TOKENS, (System.nanoTime() - t0) / 1e9);

      try (TestServer server = TestServer.startOn(dir, env)) {
        ApiClient same = client.at(server.url(""));
        for (int i = 0; i < 5; i++) same.get("/c/" + conv);  // warm-up
        long page = median(() -> same.get("/c/" + conv).body().length(), 15);
        String body = same.get("/c/" + conv).body();
        int at = body.indexOf("/older?before=");
        String olderUrl = body.substring(body.lastIndexOf('"', at) + 1, body.indexOf('"', at));
        if (same.get(olderUrl).status() != 200) throw new AssertionError("older page " + olderUrl);
        long olderPage = median(() -> same.get(olderUrl).body().length(), 15);
        for (int i = 0; i < 2; i++) same.get("/api/conversations/" + conv);
        long whole = median(() -> same.get("/api/conversations/" + conv).body().length(), 5);
        System.out.printf("open the page (latest messages): median %.1f ms, %,d bytes of HTML%n", page / 1e6, body.length());
        System.out.printf("load an older page on scroll-up: median %.1f ms%n", olderPage / 1e6);
        System.out.printf("the whole conversation as JSON: median %.1f ms, %,d bytes (%.0fx the page)%n", whole / 1e6,
            same.get("/api/conversations/" + conv).body().length(), (double) whole / page);
      }

      Path fresh = Files.createTempDirectory("streamchat-size");
      try {
        int answers = 5;
        try (TestServer server = TestServer.startOn(fresh, env)) {
          ApiClient c = server.client();
          String id = c.newConversation();
          for (int i = 0; i < answers; i++) c.awaitFinal(c.ask(id, "answer " + i, ANSWER_TOKENS));
        }
        long db = size(fresh, "streamchat");
        long streams = size(fresh.resolve("journal"), "");
        TestServer.deleteTree(fresh);
        Files.createDirectories(fresh);
        try (TestServer server = TestServer.startOn(fresh, env)) {
          server.client().newConversation();
        }
        long emptyDb = size(fresh, "streamchat");
        double perK = 1000.0 / (answers * (double) ANSWER_TOKENS);
        System.out.printf("data dir per 1,000 tokens stored: stream log %,.0f bytes + database %,.0f bytes = %,.0f bytes"
            + " (empty database %,d bytes)%n", streams * perK, (db - emptyDb) * perK, (streams + db - emptyDb) * perK, emptyDb);
      } finally {
        TestServer.deleteTree(fresh);
      }
    } finally {
      TestServer.deleteTree(dir);
    }
    System.exit(0);
  }

  /** Writes the exchanges straight into the database the server will open. */
  private static void seed(Path dir, String conv) throws Exception {
    Vertx vertx = Vertx.vertx();
    HikariDataSource ds = Database.open(Optional.empty(), dir);
    JdbcChatStore store = new JdbcChatStore(vertx, ds, ds);
    String answer = answerText();
    for (int i = 0; i < MESSAGES / 2; i++) {
      String gid = java.util.UUID.randomUUID().toString();
      await(store.addExchange(conv, "Question number " + i + ": tell me everything, at length.", gid, "demo"));
      await(store.saveAnswer(gid, answer, null, "done", null));
    }
    await(store.close());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** About 10,000 tokens of Markdown: paragraphs, a list and a code block now and then. */
  private static String answerText() {
    String[] words = "the answer keeps streaming while every chunk is written to the log before anyone sees it"
        .split(" ");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ANSWER_TOKENS; i++) {
      sb.append(words[i % words.length]);
      if (i % 120 == 119) sb.append(i % 1200 == 1199 ? "\n\n```java\nvar x = " + i + ";\n```\n\n" : "\n\n");
      else if (i % 400 == 399) sb.append("\n- a point\n- another point\n\n");
      else sb.append(' ');
    }
    return sb.toString();
  }

  private interface Call {
    int run();
  }

  private static long median(Call call, int runs) {
    long[] times = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      call.run();
      times[i] = System.nanoTime() - t0;
    }
    Arrays.sort(times);
    return times[runs / 2];
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long size(Path dir, String prefix) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isRegularFile(p))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
