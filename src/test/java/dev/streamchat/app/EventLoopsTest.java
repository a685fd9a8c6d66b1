package dev.streamchat.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.streamchat.testing.TestServer;
import io.vertx.core.internal.VertxInternal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** STREAMCHAT_EVENT_LOOPS: one event loop per core unless set; the server runs on that many. */
class EventLoopsTest {

  @Test
  void oneEventLoopPerCoreUnlessSetAndNonsenseIsRefusedByName() {
    assertEquals(Runtime.getRuntime().availableProcessors(), Config.from(Map.of()).eventLoops());
    assertEquals(3, Config.from(Map.of("STREAMCHAT_EVENT_LOOPS", "3")).eventLoops());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Config.from(Map.of("STREAMCHAT_EVENT_LOOPS", "0")));
    assertEquals("STREAMCHAT_EVENT_LOOPS must be a whole number from 1 to 1024, not '0'", e.getMessage());
  }

  @Test
  void theServerRunsOnAsManyEventLoopsAsSet() throws Exception {
    try (TestServer server = TestServer.start(Map.of("STREAMCHAT_EVENT_LOOPS", "3"))) {
      int loops = 0;
      for (var ignored : ((VertxInternal) server.vertx()).nettyEventLoopGroup()) loops++;
      assertEquals(3, loops);
      assertEquals(200, server.client().get("/health/ready").status());
    }
  }
}
