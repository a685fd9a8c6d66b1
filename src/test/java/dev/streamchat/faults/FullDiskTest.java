package dev.streamchat.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.chat.DiskSpace;
import dev.streamchat.testing.ApiClient;
import dev.streamchat.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The data dir on a small tmpfs, filled up: readiness says not ready, a new answer is a 503 that
 * says the disk is full, the embedded database survives the writes that failed, and all of it
 * recovers by itself once space is freed. Needs to mount a tmpfs (root); skipped where it cannot.
 */
class FullDiskTest {

  @Test
  void aFullDiskIsRefusedClearlyAndRecoveredFromByItself() throws Exception {
    Path dir = Files.createTempDirectory("streamchat-fulldisk");
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    boolean mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
    Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root): "
        + new String(mount.getInputStream().readAllBytes()).strip());
    try (TestServer server = TestServer.startOn(dir, Map.of("STREAMCHAT_MIN_FREE_MB", "2", "STREAMCHAT_DEMO_TPS", "200"))) {
      ApiClient alice = server.client();
      String conv = alice.newConversation();
      alice.awaitFinal(alice.ask(conv, "Before the disk fills", 5));

      Path filler = dir.resolve("filler");
      fillUp(filler);
      Thread.sleep(600); // free space is read at most twice a second
      JsonObject ready = alice.get("/health/ready").json();
      assertEquals("DOWN", ready.getString("status"));
      assertEquals("DOWN", ready.getJsonObject("checks").getJsonObject("disk").getString("status"));
      ApiClient.Reply refused = alice.post("/api/conversations/" + conv + "/messages",
          new JsonObject().put("content", "While the disk is full"));
      assertEquals(503, refused.status(), refused.body());
      assertEquals(DiskSpace.FULL, refused.json().getString("error"));
      ApiClient.Reply write = alice.post("/api/conversations", new JsonObject().put("title", "a write that fails"));
      assertTrue(write.status() == 503 || write.status() == 201, "a database write on a full disk: " + write);
      assertEquals(200, alice.get("/health/live").status(), "the process serves on");

      Files.delete(filler);
      long freed = System.currentTimeMillis();
      long healed = -1;
      while (System.currentTimeMillis() - freed < 10_000) {
        if (alice.get("/health/ready").status() == 200
            && alice.post("/api/conversations", new JsonObject()).status() == 201) {
          healed = System.currentTimeMillis() - freed;
          break;
        }
        Thread.sleep(100);
      }
      System.out.printf("full disk: whole again %d ms after space was freed%n", healed);
      assertTrue(healed >= 0, "recovers by itself once space is freed");
      JsonObject answer = alice.awaitFinal(alice.ask(conv, "After the disk was freed", 5));
      assertEquals("done", answer.getString("state"));
      assertEquals(4, alice.get("/api/conversations/" + conv).json().getJsonArray("messages").size(),
          "the database kept what it had and takes new answers");
    } finally {
      new ProcessBuilder("umount", "-l", dir.toString()).start().waitFor(10, TimeUnit.SECONDS);
      TestServer.deleteTree(dir);
    }
  }

  /** Writes until the file system says it is full. */
  private static void fillUp(Path filler) {
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) out.write(block);
    } catch (IOException full) {
      // No space left on device: that was the point
    }
  }
}
