package dev.streamchat.stream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Collection;
import java.util.List;

/** {@link Generations} through the event bus to the {@link GenerationWorker}, and the stream store. */
public final class BusGenerations implements Generations {

  private final Vertx vertx;
  private final StreamStore store;

  public BusGenerations(Vertx vertx, StreamStore store) {
    this.vertx = vertx;
    this.store = store;
    LocalCodecs.register(vertx);
  }

  /**
   * Asked on an event loop (a person's request), the generation runs on that loop too: its viewer
   * most often follows it on the same connection (HTTP/2, or a kept-alive HTTP/1.1 one), and its
   * chunks then go from the model to the viewer without crossing to another loop.
   */
  @Override
  public Future<String> start(GenerationRequest request) {
    DeliveryOptions options = new DeliveryOptions();
    int loop = EventLoops.indexOf(vertx, Vertx.currentContext());
    if (loop >= 0) options.addHeader(Addresses.START_NEAR_LOOP, Integer.toString(loop));
    return vertx.eventBus().<String>request(Addresses.START, request, options)
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(err instanceof ReplyException re && re.failureCode() > 0
            ? new Refused(re.getMessage(), re.failureCode() == GenerationWorker.UNKNOWN_MODEL)
            : new Refused("The answer could not be started.", false)));
  }

  @Override
  public Future<GenerationState> stop(String generationId) {
    return store.status(generationId).compose(status -> {
      if (status.ended()) return Future.succeededFuture(status.state());
      return vertx.eventBus().<String>request(Addresses.stop(generationId), null)
          .map(reply -> GenerationState.fromWire(reply.body()))
          .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
              ? store.status(generationId).map(GenerationStatus::state) : Future.failedFuture(err));
    });
  }

  @Override
  public Future<GenerationStatus> status(String generationId) {
    return store.status(generationId);
  }

  @Override
  public Future<Answer> answer(String generationId) {
    return store.answer(generationId);
  }

  @Override
  public List<GenerationStatus> running() {
    return store.running();
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    return store.delete(generationIds);
  }
}
