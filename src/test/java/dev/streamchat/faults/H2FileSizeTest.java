package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.streamchat.chat.Database;
import dev.streamchat.chat.JdbcChatStore;
import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The embedded database's file is compacted while open: a burst of small commits (each message is
 * committed at once) that would grow it to 44 MB for 0.3 MB of text (about 160 times) leaves it
 * under 16 MB (the size below which it is left alone) plus a small multiple of its data, with
 * every message still there.
 */
class H2FileSizeTest {

  @Test
  void theFileShrinksBackToASmallMultipleOfItsData() throws Exception {
    Path dir = Files.createTempDirectory("streamchat-h2size");
    Vertx vertx = Vertx.vertx();
    HikariDataSource ds = Database.open(Optional.empty(), dir);
    JdbcChatStore store = new JdbcChatStore(vertx, ds, ds);
    try {
      Path file = dir.resolve("streamchat.mv.db");
      String answer = "An answer of a few hundred bytes. ".repeat(10);
      long text = 0;
      String conv = null;
      for (int i = 0; i < 800; i++) {
        if (i % 100 == 0) conv = store.createConversation("owner", "t", "demo").await().id();
        String gid = UUID.randomUUID().toString();
        store.addExchange(conv, "question " + i, gid, "demo").await();
        store.saveAnswer(gid, answer, null, "done", null).await();
        text += answer.length() + ("question " + i).length();
      }
      long grown = Files.size(file);
      long limit = 16L * 1024 * 1024 + 5 * text;
      long until = System.currentTimeMillis() + 20_000;
      while (Files.size(file) > limit && System.currentTimeMillis() < until) Thread.sleep(250);
      long compacted = Files.size(file);
      System.out.printf("H2 file: %d KB after the burst, %d KB once compacted, for %d KB of text%n",
          grown / 1024, compacted / 1024, text / 1024);
      assertTrue(compacted <= limit, "compacted to " + compacted / 1024 + " KB, over " + limit / 1024 + " KB");
      assertEquals(8, store.conversations("owner", 100).await().size());
      assertEquals(200, store.messages(conv).await().size(), "nothing lost");
    } finally {
      store.close().await();
      vertx.close().await();
      TestServer.deleteTree(dir);
    }
  }
}
