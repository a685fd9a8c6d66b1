package dev.streamchat.stream;

import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Keeps every generation's log, as values and asynchronously, so an embedded journal and a store
 * shared by several instances (Redis) can both implement it. A generation is started, its chunks
 * appended in batches (numbered 1, 2, 3… by the writer), and it is finished once; readers get
 * slices after a cursor. Lookups of an unknown id fail with {@link NotFound}.
 */
public interface StreamStore {

  /** Opens the log of a new generation. */
  Future<Void> start(GenerationInfo info);

  /**
   * Appends chunks that continue the log; the future holds the last one's number once they are
   * durable, and only then may anyone be shown them. One append per generation at a time.
   */
  Future<Long> append(String generationId, List<Chunk> chunks);

  /**
   * Takes up, in this process, the log of a running generation another process wrote (and this
   * one has claimed), so appends continue after its last chunk. Only a store shared by the
   * instances of a service can.
   */
  default Future<Void> resume(String generationId) {
    return Future.failedFuture(new IllegalStateException("this store cannot take a generation over"));
  }

  /** True when this process may leave its running generations to another instance at shutdown. */
  default boolean handsOver() {
    return false;
  }

  /**
   * Leaves a running generation, whose text so far is written, for another instance to carry on
   * (at shutdown; see {@link #handsOver()}): this process writes no more of it.
   */
  default Future<Void> handOver(String generationId) {
    return Future.failedFuture(new IllegalStateException("this store cannot hand a generation over"));
  }

  /**
   * Tells the viewers on the other instances of a service whether filters hold text of a
   * generation this process writes back now (the writer tells this process's own on the event
   * bus). Transient: nothing is stored, and no text goes with it. A store shared by several
   * instances tells them in the order it is called, after every append that was done when it was
   * called (so "no longer held" follows the text released with it) and before the end; alone
   * there is no one to tell.
   */
  default Future<Void> tellHeld(String generationId, boolean holding) {
    return Future.succeededFuture();
  }

  /** Ends the log with its end record; the future holds the final status. */
  Future<GenerationStatus> finish(String generationId, GenerationEnd end);

  /** The generation's status now. */
  Future<GenerationStatus> status(String generationId);

  /** The chunks after {@code afterSeq} (at least one when any follow), at most about {@code maxChars} of text. */
  Future<Slice> read(String generationId, long afterSeq, int maxChars);

  /** The whole text of the generation, as far as it is written. */
  Future<Answer> answer(String generationId);

  /**
   * Generations being written now: by this process, or, when the store is shared by the
   * instances of a service, by every instance (the others' as of about a second ago).
   */
  List<GenerationStatus> running();

  /** The instance writing a running generation, when the store is shared by several; else empty. */
  default Optional<String> runsOn(String generationId) {
    return Optional.empty();
  }

  /** Ends as interrupted every log the last process left running; answers their final statuses. */
  Future<List<GenerationStatus>> recover();

  /** Forgets ended generations (their conversation was deleted, or their answer replaced). */
  Future<Void> delete(Collection<String> generationIds);

  /** Succeeds when new logs can be written (for the readiness check). */
  Future<Void> ping();

  /** Ends every running log as interrupted and closes the store. */
  Future<Void> close();

  /** Chunks after a cursor, with the status read with them. */
  record Slice(GenerationStatus status, List<Chunk> chunks) {

    /** The number of the last chunk in this slice, or {@code afterSeq} when it has none. */
    public long lastSeq(long afterSeq) {
      return chunks.isEmpty() ? afterSeq : chunks.get(chunks.size() - 1).seq();
    }

    /** True when the generation has ended and this slice reaches its last chunk. */
    public boolean endsAfter(long afterSeq) {
      return status.ended() && lastSeq(afterSeq) >= status.lastSeq();
    }
  }

  final class NotFound extends RuntimeException {
    public NotFound(String id) {
      super("no generation " + id, null, false, false);
    }
  }
}
