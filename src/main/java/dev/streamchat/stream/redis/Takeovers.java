package dev.streamchat.stream.redis;

import dev.streamchat.stream.Addresses;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.GenerationWorker;
import dev.streamchat.stream.Generations;
import dev.streamchat.stream.LiveEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries on, in this instance, each generation it claimed from an instance that stopped: as
 * Continue does, the model is sent the turns it was first asked, the text logged so far as its own
 * turn and the instruction to go on, and the new text is appended to the same log under the same
 * id. Where that cannot be (what the model was asked was not kept, the model is not served here,
 * the worker refuses), the answer ends {@code interrupted} with every chunk logged.
 */
public final class Takeovers implements Consumer<GenerationStatus> {

  private static final Logger LOG = LoggerFactory.getLogger(Takeovers.class);

  private final Vertx vertx;
  private final RedisStreamStore store;
  private final Generations local;
  private final Consumer<GenerationStatus> onInterrupted;

  /** {@code local} starts generations in this process; {@code onInterrupted} gets each that could not go on. */
  public Takeovers(Vertx vertx, RedisStreamStore store, Generations local, Consumer<GenerationStatus> onInterrupted) {
    this.vertx = vertx;
    this.store = store;
    this.local = local;
    this.onInterrupted = onInterrupted;
  }

  @Override
  public void accept(GenerationStatus claimed) {
    String id = claimed.id();
    store.request(claimed.info())
        .compose(asked -> asked == null
            ? Future.failedFuture("what its model was asked was not kept")
            : store.answer(id).compose(soFar -> local.start(asked.continuing(soFar))))
        .onSuccess(started -> LOG.info("generation {}: continued here after chunk {}", id, claimed.lastSeq()))
        .onFailure(err -> {
          if (GenerationWorker.SHUTTING_DOWN.equals(err.getMessage())) {
            // Still listed as this instance's: another claims it once this one's lease is gone.
            LOG.info("generation {}: claimed while this instance stops; left for another", id);
            return;
          }
          LOG.warn("generation {}: cannot be continued here ({}); it ends interrupted", id, err.getMessage());
          store.interrupt(id, GenerationRequest.CANNOT_CONTINUE).onComplete(ar -> {
            if (ar.succeeded() && ar.result() != null) {
              // The other instances hear the end over Redis; this one's viewers do not (it skips
              // its own messages there), so it is told here.
              vertx.eventBus().publish(Addresses.events(id), new LiveEvent(List.of(), ar.result()));
              onInterrupted.accept(ar.result());
            }
            else if (ar.failed()) LOG.error("generation {}: could not be ended: {}", id, ar.cause().toString());
          });
        });
  }
}
