package dev.streamchat.stream;

import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;

/**
 * Keeps every generation's log. The web side only asks for a log and reads after a cursor;
 * it never knows where the log is kept.
 */
public interface StreamStore {

  /** Opens the log of a new generation. Blocking: call it off the event loop. */
  GenerationLog start(GenerationInfo info);

  /** The log of a generation, live or ended, or a failed future with {@link NotFound}. */
  Future<GenerationLog> find(String generationId);

  /** Generations running now. */
  Collection<GenerationLog> running();

  /** Ends as interrupted every log that was running when the process last died. Blocking. */
  List<GenerationLog> recoverInterrupted();

  /** Succeeds when new logs can be written (for the readiness check). */
  Future<Void> ping();

  /** Forgets ended generations (their conversation was deleted, or their answer replaced). */
  Future<Void> delete(Collection<String> generationIds);

  void close();

  final class NotFound extends RuntimeException {
    public NotFound(String id) {
      super("no generation " + id, null, false, false);
    }
  }
}
