package dev.streamchat.stream.journal;

import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where the stream store keeps generations durably: per generation a start record, its chunks
 * numbered 1, 2, 3… and at most one end record. The store decides what is written and when; a
 * journal only keeps it and reads it back.
 *
 * <p>Contract, for every implementation:
 * <ul>
 *   <li>Writes for one generation come in order (start, appends, end) with at most one of them
 *       outstanding: the caller waits for each future before the next write of that generation.
 *       Writes of different generations may come at once, from any thread (group them).
 *   <li>A write's future succeeds once the record is durable in the implementation's mode (at
 *       least: it survives the process being killed); only then does the store show it to anyone.
 *       {@link #read} returns only records whose write has succeeded.
 *   <li>A write that fails leaves the journal as it was before it (no part of a record is ever
 *       followed by another record): a later {@link #end} lands on the last whole record, and
 *       recovery reads every whole chunk.
 *   <li>Futures may complete on any thread; callers do not assume a Vert.x context.
 * </ul>
 */
public interface Journal {

  /** Records a new generation; fails if the id is already known. */
  Future<Void> start(GenerationInfo info);

  /** Appends chunks that continue the generation's numbering (the first is last seq + 1). */
  Future<Void> append(String generationId, List<Chunk> chunks);

  /** Ends the generation; nothing more is written for it. */
  Future<Void> end(String generationId, GenerationEnd end);

  /**
   * The chunks after {@code afterSeq}: as many as fit in {@code maxChars} characters of text, and
   * at least one when any follow and {@code maxChars > 0}; none when {@code maxChars == 0} (a
   * status read). Empty when the journal has no such generation.
   */
  Future<Optional<Slice>> read(String generationId, long afterSeq, int maxChars);

  /**
   * Run once at start, before any other call: repairs what a crash left (a torn last record is
   * dropped) and lists the generations that have a start record and no end record.
   */
  Future<List<Unfinished>> recover();

  /** Forgets ended generations; unknown ids are ignored. */
  Future<Void> delete(Collection<String> generationIds);

  /** Succeeds when new records can be written now (the readiness check). */
  Future<Void> ping();

  /** Writes what is pending and releases files; no call follows. */
  Future<Void> close();

  /**
   * What {@link #read} found.
   *
   * @param info the generation's start record
   * @param chunks consecutive chunks after the cursor (possibly none)
   * @param lastSeq the number of the generation's last stored chunk (0 before the first)
   * @param end the end record, or null while the generation runs
   */
  record Slice(GenerationInfo info, List<Chunk> chunks, long lastSeq, GenerationEnd end) {
    public Slice {
      chunks = List.copyOf(chunks);
    }
  }

  /** A generation the last process left without an end record, with its last whole chunk. */
  record Unfinished(GenerationInfo info, long lastSeq) {
  }
}
