package dev.streamchat.chat;

import dev.streamchat.stream.Answer;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ended answers with their messages even when the database is away as they end. A save
 * that fails is tried again with backoff ({@value #FIRST_RETRY_MS} ms doubling to
 * {@value #MAX_RETRY_MS} ms) until it succeeds, reading the final text again from the stream
 * log each time, so nothing but the generation id waits in memory. The log is the durable
 * copy: should the process end first, the next start settles the answer from it.
 */
public final class AnswerSaver {

  private static final Logger LOG = LoggerFactory.getLogger(AnswerSaver.class);
  static final long FIRST_RETRY_MS = 250;
  static final long MAX_RETRY_MS = 2_000;

  private final Vertx vertx;
  private final ChatStore chats;
  /** Reads an answer back from its stream log. */
  private final Function<String, Future<Answer>> reread;
  /** Generation id to its next delay, for saves waiting to be tried again. */
  private final Map<String, Long> pending = new ConcurrentHashMap<>();

  public AnswerSaver(Vertx vertx, ChatStore chats, Function<String, Future<Answer>> reread) {
    this.vertx = vertx;
    this.chats = chats;
    this.reread = reread;
  }

  /** Saves the answer; the future is the first attempt's, retries go on in the background. */
  public Future<Void> save(Answer answer) {
    return attempt(answer).onFailure(err -> {
      LOG.warn("generation {}: its answer could not be saved now, will retry ({})", answer.id(), err.toString());
      retryLater(answer.id(), FIRST_RETRY_MS);
    });
  }

  /** How many ended answers are still waiting to be saved. */
  public int pending() {
    return pending.size();
  }

  private Future<Void> attempt(Answer a) {
    return chats.saveAnswer(a.id(), a.text(), a.reasoning(), a.status().state().wire(), a.status().error());
  }

  private void retryLater(String generationId, long delayMs) {
    pending.put(generationId, delayMs);
    vertx.setTimer(delayMs, t -> reread.apply(generationId)
        .compose(this::attempt)
        .onSuccess(v -> {
          pending.remove(generationId);
          LOG.info("generation {}: its answer is saved", generationId);
        })
        .onFailure(err -> {
          if (err instanceof StreamStore.NotFound) {
            pending.remove(generationId); // its conversation was deleted meanwhile
          } else {
            retryLater(generationId, Math.min(MAX_RETRY_MS, delayMs * 2));
          }
        }));
  }
}
