package dev.streamchat.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gauge measures a blocked event loop, and forgets it once the loop runs freely again. */
class PressureTest {

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aBlockedLoopShowsWhileItIsBlockedAndAfter() throws Exception {
    Pressure pressure = Pressure.of(vertx).start();
    assertTrue(pressure == Pressure.of(vertx), "one gauge per Vert.x instance");
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    Context loop = vertx.getOrCreateContext();
    loop.runOnContext(v -> {
      blocked.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(blocked.await(10, TimeUnit.SECONDS));
    // The loop is held for all of this sleep: its timer, due at most one tick after the block
    // began, is overdue by at least the sleep less one tick.
    Thread.sleep(400);
    double whileBlocked = pressure.loopDelayMs();
    Pressure.Loop blockedLoop = pressure.loop(((ContextInternal) loop).nettyEventLoop());
    double ownWhileBlocked = blockedLoop.delayMs();
    Pressure.Loop otherLoop = null;
    for (EventExecutor e : ((VertxInternal) vertx).nettyEventLoopGroup()) {
      if (pressure.loop(e) != blockedLoop) otherLoop = pressure.loop(e);
    }
    double otherWhileBlocked = otherLoop.delayMs();
    release.countDown();
    assertTrue(whileBlocked >= 400 - Pressure.TICK_MS, "a stuck loop shows while stuck: " + whileBlocked);
    // Each loop's own gauge (what its feeds ask before fanning out at once) is its own delay.
    assertTrue(ownWhileBlocked >= 400 - Pressure.TICK_MS, "the stuck loop's own gauge: " + ownWhileBlocked);
    assertTrue(otherWhileBlocked < 100, "the other loop is on time: " + otherWhileBlocked);

    // Once it runs, its late timer is in the average, which then decays as the loop keeps time.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (pressure.loopDelayMs() > 100 && System.nanoTime() < deadline) Thread.sleep(50);
    assertTrue(pressure.loopDelayMs() <= 100, "forgotten once the loop keeps time: " + pressure.loopDelayMs());
  }

  @Test
  void pendingBytesAddUpTheJournalBacklogAndOtherSources() {
    Pressure pressure = Pressure.of(vertx);
    assertEquals(0, pressure.pendingBytes());
    pressure.journalBacklog().add(300);
    pressure.addPendingSource(() -> 700);
    assertEquals(1000, pressure.reading().pendingBytes());
    pressure.journalBacklog().add(-300);
    assertEquals(700, pressure.pendingBytes());
  }
}
