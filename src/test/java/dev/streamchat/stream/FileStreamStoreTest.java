package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.testing.TestServer;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stream log after a crash: what was fully written is kept, a half-written record is not. */
class FileStreamStoreTest {

  private Vertx vertx;
  private Path dir;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("streamchat-streams");
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestServer.deleteTree(dir);
  }

  private static GenerationInfo info(String id) {
    return new GenerationInfo(id, "c-1", "owner", "demo", System.currentTimeMillis());
  }

  @Test
  void aTornLastRecordIsDroppedAndTheInterruptedLogReadsBackWhole() throws Exception {
    FileStreamStore crashed = new FileStreamStore(vertx, dir);
    GenerationLog log = crashed.start(info("g-1"));
    log.append(Chunk.Kind.TEXT, "Hello");
    log.append(Chunk.Kind.TEXT, " world");
    // The process dies in the middle of writing the third record (no close, no end record).
    Files.writeString(dir.resolve("streams/g-1.jsonl"), "{\"t\":\"c\",\"seq\":3,\"k\":\"t\",\"v\":\"!",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    assertEquals(1, new FileStreamStore(vertx, dir).recoverInterrupted().size());
    FileStreamStore third = new FileStreamStore(vertx, dir);
    assertTrue(third.recoverInterrupted().isEmpty(), "an interrupted log is settled once, not at every start");
    GenerationLog read = third.find("g-1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(GenerationState.INTERRUPTED, read.state());
    assertEquals("Hello world", read.text());
    assertEquals(2, read.lastSeq());
  }

  @Test
  void finishedLogsAreLeftAlone() throws Exception {
    FileStreamStore store = new FileStreamStore(vertx, dir);
    GenerationLog log = store.start(info("g-2"));
    log.append(Chunk.Kind.TEXT, "done");
    log.finish(GenerationState.DONE, null);
    long size = Files.size(dir.resolve("streams/g-2.jsonl"));
    assertTrue(new FileStreamStore(vertx, dir).recoverInterrupted().isEmpty());
    assertEquals(size, Files.size(dir.resolve("streams/g-2.jsonl")));
  }
}
