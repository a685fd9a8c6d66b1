package dev.streamchat.stream;

import dev.streamchat.model.Failure;
import dev.streamchat.model.FinishReason;
import dev.streamchat.model.StreamListener;
import dev.streamchat.model.Usage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stage of a pipeline: numbers what reaches it, appends it to the stream store in
 * batches (everything that arrived while the previous append was being written goes in the next
 * one), publishes each batch to the generation's feeds once it is durable, and writes the end
 * after the last batch. It holds only the chunks not yet written: past {@value #HIGH_WATER}
 * characters of them it pauses the model's stream, and resumes it once the journal has caught up.
 * Everything runs on the generation's context, whichever thread the model calls from.
 *
 * <p>Filters tell it how much text they hold back ({@link #onHeld}); viewers are told only whether
 * some is held, once it has been for {@value #HELD_SHOWN_AFTER_MS} ms (a token held for a moment is
 * no news), and that it is no longer held once the text released by then is published.
 *
 * <p>A generation taken over from another instance continues its log after the last chunk there;
 * should its model fail before adding anything, the answer ends {@code interrupted} as it stood.
 * At shutdown an instance of a service may hand its generations over: the model is stopped, what
 * reached the writer is appended, and no end is written (another instance carries the log on).
 *
 * <p>An append that fails (a full disk) ends the answer failed with a message that says so, stops
 * the model, and still publishes the end, so viewers, the quota slot and the admin page are freed.
 */
final class JournalWriter implements StreamListener {

  private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);
  static final String DISK_FULL = "The server could not store the answer (disk full).";
  static final String NOT_STORED = "The server could not store the answer.";
  static final int HIGH_WATER = 64 * 1024;
  static final int LOW_WATER = 8 * 1024;
  static final long HELD_SHOWN_AFTER_MS = 250;

  private final Context context;
  private final StreamStore store;
  private final EventBus bus;
  private final GenerationInfo info;
  private final String id;
  private final String address;
  private final Upstream upstream;
  /** The process's text held by writers and not yet durable (admission reads it). */
  private final LongAdder backlog;
  private final Promise<GenerationStatus> ended = Promise.promise();
  private final GenerationRequest.Resume resume;
  /** Set when handing over: completes once what reached the writer is appended. */
  private Promise<Boolean> handedOver;
  private final List<Chunk> pending = new ArrayList<>();
  private long nextSeq;
  private long durableSeq;
  private long pendingChars;
  private boolean paused;
  private boolean writing;
  private GenerationEnd end;
  private boolean finishing;
  /** What filters hold now, whether viewers should see that, and what they were last told. */
  private int heldChars;
  private boolean holding;
  private boolean toldHolding;
  private long releasedUpTo;
  private long holdTimer = -1;

  JournalWriter(Context context, StreamStore store, GenerationInfo info, Upstream upstream,
      GenerationRequest.Resume resume) {
    this.resume = resume;
    this.nextSeq = resume == null ? 1 : resume.afterSeq() + 1;
    this.durableSeq = nextSeq - 1;
    this.context = context;
    this.store = store;
    this.bus = context.owner().eventBus();
    this.info = info;
    this.id = info.id();
    this.address = Addresses.events(info.id());
    this.upstream = upstream;
    this.backlog = Pressure.of(context.owner()).journalBacklog();
  }

  /** Completes with the final status once the end is written and published. */
  Future<GenerationStatus> ended() {
    return ended.future();
  }

  @Override
  public void onText(String text) {
    onContext(() -> add(Chunk.Kind.TEXT, text));
  }

  @Override
  public void onReasoning(String text) {
    onContext(() -> add(Chunk.Kind.REASONING, text));
  }

  @Override
  public void onComplete(FinishReason reason, Usage usage) {
    onContext(() -> end(GenerationState.DONE, null, reason, usage));
  }

  @Override
  public void onFailure(Failure failure) {
    onContext(() -> {
      boolean nothingAdded = resume != null && nextSeq == resume.afterSeq() + 1;
      if (nothingAdded) LOG.warn("generation {}: the model could not continue it: {}", id, failure.message());
      if (nothingAdded) end(GenerationState.INTERRUPTED, GenerationRequest.CANNOT_CONTINUE, null, Usage.UNKNOWN);
      else end(GenerationState.FAILED, failure.message(), null, Usage.UNKNOWN);
    });
  }

  @Override
  public void onHeld(int chars) {
    onContext(() -> held(chars));
  }

  /** Ends the answer in {@code state} (Stop, shutdown) unless it has ended; the model is stopped. */
  void stop(GenerationState state, String error) {
    onContext(() -> {
      if (end != null) return;
      upstream.cancel();
      end(state, error, null, Usage.UNKNOWN);
    });
  }

  /**
   * Stops the model and appends what has reached the writer, writing no end; the future holds
   * true then, or false when the answer had already ended here (its end is written as usual).
   */
  Future<Boolean> handOver() {
    Promise<Boolean> done = Promise.promise();
    onContext(() -> {
      if (end != null || handedOver != null) {
        done.complete(false);
        return;
      }
      handedOver = Promise.promise();
      handedOver.future().onComplete(done);
      upstream.cancel();
      flush();
    });
    return done.future();
  }

  private void add(Chunk.Kind kind, String text) {
    if (end != null || handedOver != null || text.isEmpty()) return;
    pending.add(new Chunk(nextSeq++, kind, text));
    pendingChars += text.length();
    backlog.add(text.length());
    if (!paused && pendingChars > HIGH_WATER) {
      paused = true;
      upstream.pause();
    }
    flush();
  }

  private void held(int chars) {
    if (end != null) return;
    heldChars = chars;
    if (chars > 0) {
      if (!holding && holdTimer < 0) {
        holdTimer = context.owner().setTimer(HELD_SHOWN_AFTER_MS, t -> onContext(() -> {
          holdTimer = -1;
          if (end != null || heldChars == 0) return;
          holding = true;
          if (!toldHolding) {
            toldHolding = true;
            tellHeld(true);
          }
        }));
      }
      return;
    }
    cancelHoldTimer();
    if (holding) {
      holding = false;
      releasedUpTo = nextSeq - 1;
      tellReleased();
    }
  }

  /**
   * "No longer held" goes out once the text released with it is published, so it never comes
   * first: here on the bus after its chunks, and to the other instances after the append that
   * published them there (see {@link StreamStore#tellHeld}).
   */
  private void tellReleased() {
    if (toldHolding && !holding && durableSeq >= releasedUpTo && end == null) {
      toldHolding = false;
      tellHeld(false);
    }
  }

  /** Tells this process's viewers, and through the store the other instances' (if any). */
  private void tellHeld(boolean holding) {
    bus.publish(address, LiveEvent.held(holding));
    store.tellHeld(id, holding).onFailure(err ->
        LOG.debug("generation {}: the other instances were not told whether text is held: {}", id, err.toString()));
  }

  private void cancelHoldTimer() {
    if (holdTimer >= 0) context.owner().cancelTimer(holdTimer);
    holdTimer = -1;
  }

  private void end(GenerationState state, String error, FinishReason reason, Usage usage) {
    if (end != null || handedOver != null) return;
    end = new GenerationEnd(state, error, reason, usage, System.currentTimeMillis(), 0);
    flush();
  }

  private void flush() {
    if (writing || finishing) return;
    if (pending.isEmpty()) {
      if (handedOver != null) handedOver.tryComplete(true);
      else if (end != null) finish();
      return;
    }
    List<Chunk> batch = List.copyOf(pending);
    long batchChars = pendingChars;
    pending.clear();
    pendingChars = 0;
    writing = true;
    store.append(id, batch).onComplete(ar -> onContext(() -> {
      writing = false;
      backlog.add(-batchChars);
      if (ar.failed()) {
        notStored(ar.cause());
        return;
      }
      durableSeq = batch.get(batch.size() - 1).seq();
      bus.publish(address, LiveEvent.chunks(batch));
      tellReleased();
      if (paused && pendingChars < LOW_WATER) {
        paused = false;
        upstream.resume();
      }
      flush();
    }));
  }

  private void notStored(Throwable cause) {
    LOG.error("generation {}: its stream log could not be written: {}", id, cause.toString());
    backlog.add(-pendingChars);
    pending.clear();
    pendingChars = 0;
    if (handedOver != null) {
      // What was not written the next instance asks the model for again.
      handedOver.tryComplete(true);
      return;
    }
    upstream.cancel();
    end = new GenerationEnd(GenerationState.FAILED, diskFull(cause) ? DISK_FULL : NOT_STORED, null, Usage.UNKNOWN,
        System.currentTimeMillis(), 0);
    finish();
  }

  static boolean diskFull(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m != null && (m.contains("No space left") || m.contains("Disk quota exceeded"))) return true;
    }
    return false;
  }

  private void finish() {
    finishing = true;
    cancelHoldTimer(); // the end tells viewers nothing is held any more
    store.finish(id, end).onComplete(ar -> onContext(() -> {
      GenerationStatus status;
      if (ar.succeeded()) {
        status = ar.result();
      } else {
        // Ended already (the store closed first at shutdown): the end is still told to everyone.
        LOG.warn("generation {}: the store did not take its end: {}", id, ar.cause().toString());
        status = new GenerationStatus(info, durableSeq, end.firstChunkAt(), 0, end);
      }
      bus.publish(address, LiveEvent.end(status));
      ended.complete(status);
    }));
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) r.run();
    else context.runOnContext(v -> r.run());
  }
}
