package dev.streamchat.stream.journal;

import static dev.streamchat.stream.journal.Journals.await;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The one Vert.x instance the journal tests of a class share (the journal runs reads on its workers). */
abstract class VertxJournalTest {
  static Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() throws Exception {
    await(vertx.close());
  }
}
