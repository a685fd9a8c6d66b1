package dev.streamchat.stream.redis;

import dev.streamchat.stream.Answer;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.Generations;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Generations} of one instance of a service: started here, looked up in Redis, and
 * stopped wherever they run. A Stop for a generation another instance writes is published on
 * that instance's stop channel; the answer is its state once the end is in Redis.
 */
public final class ClusterGenerations implements Generations {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterGenerations.class);
  private static final long STOP_POLL_MS = 100;
  private static final long STOP_WAIT_MS = 10_000;

  private final Vertx vertx;
  private final Generations local;
  private final RedisStreamStore store;
  private final Redis redis;
  private final RedisKeys keys;

  public ClusterGenerations(Vertx vertx, Generations local, RedisStreamStore store, Redis redis, RedisKeys keys) {
    this.vertx = vertx;
    this.local = local;
    this.store = store;
    this.redis = redis;
    this.keys = keys;
  }

  /**
   * Starts it here, having kept what its model is asked, so another instance can continue it
   * should this one stop (without that, it would end interrupted there).
   */
  @Override
  public Future<String> start(GenerationRequest request) {
    return store.remember(request)
        .onFailure(err -> LOG.warn("generation {}: its request could not be kept: {}", request.info().id(), err.toString()))
        .otherwiseEmpty()
        .compose(kept -> local.start(request));
  }

  @Override
  public Future<GenerationState> stop(String generationId) {
    return local.stop(generationId).compose(state -> {
      if (state.isFinal()) return Future.succeededFuture(state);
      // Running, and not here: its instance stops it.
      return store.instanceOf(generationId)
          .compose(owner -> redis.send(RedisLive.stopRequest(keys, owner, generationId)))
          .compose(sent -> ended(generationId, System.currentTimeMillis() + STOP_WAIT_MS));
    });
  }

  private Future<GenerationState> ended(String generationId, long deadline) {
    return store.status(generationId).compose(s -> {
      if (s.ended() || System.currentTimeMillis() >= deadline) return Future.succeededFuture(s.state());
      Promise<GenerationState> later = Promise.promise();
      vertx.setTimer(STOP_POLL_MS, t -> ended(generationId, deadline).onComplete(later));
      return later.future();
    });
  }

  @Override
  public Future<GenerationStatus> status(String generationId) {
    return local.status(generationId);
  }

  @Override
  public Future<Answer> answer(String generationId) {
    return local.answer(generationId);
  }

  @Override
  public List<GenerationStatus> running() {
    return local.running();
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    return local.delete(generationIds);
  }
}
