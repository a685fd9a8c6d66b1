package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamchat.stream.Chunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Appends that arrive while a write is under way go out together in the next single write (and,
 * in disk mode, one force); an append's future succeeds only once its bytes are durable. The
 * writer is held at a gate so the grouping is forced, not hoped for. In os mode the appends of one
 * event-loop turn go out in one write at its end; in disk mode no event loop waits for a force.
 */
class GroupCommitTest extends VertxJournalTest {
  private static final int GENERATIONS = 40;
  private static final int ROUNDS = 5;

  @Test
  void appendsWaitingForAWriteGoOutInOneWriteAndOneForce() throws Exception {
    Path dir = Files.createTempDirectory("journal-group");
    HookedChannels io = new HookedChannels();
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.DISK).withChannels(io));
    try {
      List<String> ids = new ArrayList<>();
      for (int g = 0; g < GENERATIONS; g++) {
        ids.add("g" + g);
        await(j.start(Journals.info("g" + g)));
      }
      Random random = new Random(3);
      Map<String, List<Chunk>> written = new ConcurrentHashMap<>();
      // Per completed append: how much of the segment was forced when its future succeeded.
      Map<String, Long> forcedAtCompletion = new ConcurrentHashMap<>();
      Path segment = Journals.lastSegment(dir);
      long writesBefore = j.stats().writeCalls();
      long forcesBefore = j.stats().forces();
      int appends = 0;
      for (int round = 0; round < ROUNDS; round++) {
        io.closeWriteGate();
        List<Future<Void>> futures = new ArrayList<>();
        for (int g = 0; g < GENERATIONS; g++) {
          String id = ids.get(g);
          List<Chunk> chunks = Journals.chunks(random, round + 1L, 1);
          Future<Void> f = j.append(id, chunks);
          String key = id + "#" + (round + 1);
          futures.add(f.onSuccess(v -> forcedAtCompletion.put(key, io.forced.getOrDefault(segment, 0L))));
          written.computeIfAbsent(id, k -> new ArrayList<>()).addAll(chunks);
          appends++;
          if (g == 0) io.awaitWriterAtGate(); // the first append's write is under way; the rest queue behind it
        }
        for (Future<Void> f : futures) assertFalse(f.isComplete(), "nothing completes before its write");
        io.openWriteGate();
        for (Future<Void> f : futures) await(f);
      }
      long writes = j.stats().writeCalls() - writesBefore;
      long forces = j.stats().forces() - forcesBefore;
      System.out.printf("group commit: %d appends in %d writes and %d forces%n", appends, writes, forces);
      assertEquals(2L * ROUNDS, writes, "per round: the append under way, then all that waited in one write");
      assertEquals(2L * ROUNDS, forces, "one force per write");

      // Each append was durable when its future succeeded: a power cut right then keeps it.
      Path base = Files.createTempDirectory("journal-group-cut");
      try {
        for (Map.Entry<String, Long> e : forcedAtCompletion.entrySet()) {
          if (!e.getKey().startsWith("g7#") && !e.getKey().startsWith("g0#")) continue; // a sample keeps the test fast
          String id = e.getKey().substring(0, e.getKey().indexOf('#'));
          long seq = Long.parseLong(e.getKey().substring(e.getKey().indexOf('#') + 1));
          Path cut = base.resolve(e.getKey().replace('#', '-'));
          Journals.copyTree(dir, cut);
          Journals.truncate(cut.resolve(segment.getFileName()), e.getValue());
          SegmentJournal r = Journals.open(vertx, cut, JournalOptions.of(Durability.OS));
          List<Chunk> kept = Journals.readAll(r, id, 0, 1000);
          assertTrue(kept.size() >= seq, e.getKey() + " survives a power cut at its completion");
          assertEquals(written.get(id).subList(0, kept.size()), kept);
          await(r.close());
        }
      } finally {
        Journals.deleteTree(base);
      }
      for (String id : ids) assertEquals(written.get(id), Journals.readAll(j, id, 0, 1000));
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void theAppendsOfOneEventLoopTurnGoOutInOneWriteAndCompleteOnThatLoop() throws Exception {
    Path dir = Files.createTempDirectory("journal-turn");
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.OS));
    try {
      List<String> ids = new ArrayList<>();
      for (int g = 0; g < GENERATIONS; g++) {
        ids.add("g" + g);
        await(j.start(Journals.info("g" + g)));
      }
      Random random = new Random(5);
      Map<String, List<Chunk>> written = new ConcurrentHashMap<>();
      Context loop = vertx.getOrCreateContext();
      for (int round = 0; round < ROUNDS; round++) {
        long writesBefore = j.stats().writeCalls();
        long seq = round + 1L;
        Promise<List<Future<Void>>> appended = Promise.promise();
        Map<String, Thread> completedOn = new ConcurrentHashMap<>();
        Thread[] loopThread = new Thread[1];
        boolean[] doneInTurn = new boolean[1];
        loop.runOnContext(v -> {
          loopThread[0] = Thread.currentThread();
          List<Future<Void>> futures = new ArrayList<>();
          for (String id : ids) {
            List<Chunk> chunks = Journals.chunks(random, seq, 1);
            written.computeIfAbsent(id, k -> new ArrayList<>()).addAll(chunks);
            futures.add(j.append(id, chunks).onSuccess(ok -> completedOn.put(id, Thread.currentThread())));
          }
          doneInTurn[0] = futures.stream().anyMatch(Future::isComplete);
          appended.complete(futures);
        });
        for (Future<Void> f : await(appended.future())) await(f);
        assertFalse(doneInTurn[0], "written at the end of the turn, not during it");
        assertEquals(1L, j.stats().writeCalls() - writesBefore, "every append of the turn in one write");
        for (String id : ids) assertEquals(loopThread[0], completedOn.get(id), id + " hears back on its own loop");
      }
      for (String id : ids) assertEquals(written.get(id), Journals.readAll(j, id, 0, 1000));
    } finally {
      await(j.close());
      Journals.deleteTree(dir);
    }
  }

  @Test
  void inDiskModeAnEventLoopThatAppendedDoesNotWaitForTheForce() throws Exception {
    Path dir = Files.createTempDirectory("journal-force-off-loop");
    HookedChannels io = new HookedChannels();
    SegmentJournal j = Journals.open(vertx, dir, JournalOptions.of(Durability.DISK).withChannels(io));
    try {
      await(j.start(Journals.info("g")));
      io.forceGate = new CountDownLatch(1);
      Context loop = vertx.getOrCreateContext();
      Promise<Future<Void>> appended = Promise.promise();
      loop.runOnContext(v -> appended.complete(j.append("g", List.of(new Chunk(1, Chunk.Kind.TEXT, "held")))));
      Future<Void> append = await(appended.future());
      // The force is held at its gate; the loop that appended goes on running other work.
      CountDownLatch ran = new CountDownLatch(1);
      loop.runOnContext(v -> ran.countDown());
      assertTrue(ran.await(10, TimeUnit.SECONDS), "the event loop is not held up by the force");
      assertFalse(append.isComplete(), "not durable, so not done, while the force is held");
      io.forceGate.countDown();
      await(append);
      assertEquals(List.of(new Chunk(1, Chunk.Kind.TEXT, "held")), Journals.readAll(j, "g", 0, 1000));
    } finally {
      io.forceGate.countDown();
      await(j.close());
      Journals.deleteTree(dir);
    }
  }
}
