package dev.streamchat.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The truth about one generation: its numbered chunks and, once it ends, its final state.
 * Appends come from the model's thread, reads from any event loop; both are short and
 * synchronized. Every append goes to the journal before it is visible here, so whatever a
 * viewer was sent survives a crash of the process.
 */
public final class GenerationLog {

  /** Where appends and the end are written before they become visible. */
  public interface Journal {
    void chunk(Chunk chunk);

    void end(GenerationLog log);

    Journal NONE = new Journal() {
      @Override public void chunk(Chunk chunk) { }

      @Override public void end(GenerationLog log) { }
    };
  }

  /** The chunks after a cursor, and the final state if the log had ended when they were read. */
  public record Slice(List<Chunk> chunks, GenerationState state, String error) {
    public boolean ended() {
      return state.isFinal();
    }
  }

  private final GenerationInfo info;
  private final Journal journal;
  private final List<Chunk> chunks = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final AtomicInteger viewers = new AtomicInteger();
  private GenerationState state = GenerationState.RUNNING;
  private String error;
  private long firstChunkAt;
  private long lastChunkAt;
  private long endedAt;
  private long promptTokens = -1;
  private long completionTokens = -1;

  public GenerationLog(GenerationInfo info, Journal journal) {
    this.info = info;
    this.journal = journal;
  }

  public GenerationInfo info() {
    return info;
  }

  public String id() {
    return info.id();
  }

  /** Appends a chunk; returns null when the log has ended (a late token after Stop). */
  public synchronized Chunk append(Chunk.Kind kind, String part) {
    if (state.isFinal() || part.isEmpty()) return null;
    Chunk chunk = new Chunk(chunks.size() + 1L, kind, part);
    journal.chunk(chunk);
    add(chunk);
    return chunk;
  }

  /** Adds a chunk read back from a journal. */
  synchronized void restore(Chunk chunk) {
    if (chunk.seq() == chunks.size() + 1L) add(chunk);
  }

  private void add(Chunk chunk) {
    lastChunkAt = System.currentTimeMillis();
    if (chunks.isEmpty()) firstChunkAt = lastChunkAt;
    chunks.add(chunk);
    (chunk.kind() == Chunk.Kind.TEXT ? text : reasoning).append(chunk.text());
  }

  /** Ends the log; false if it had already ended (the first end wins). */
  public synchronized boolean finish(GenerationState finalState, String errorMessage) {
    if (state.isFinal() || !finalState.isFinal()) return false;
    state = finalState;
    error = errorMessage;
    endedAt = System.currentTimeMillis();
    journal.end(this);
    return true;
  }

  /** Ends a log read back from a journal, with the figures it was written with. */
  synchronized void restoreEnd(GenerationState s, String err, long ended, long first) {
    state = s;
    error = err;
    endedAt = ended;
    if (first > 0) firstChunkAt = first;
  }

  public synchronized Slice after(long seq, int maxChars) {
    int from = (int) Math.max(0, Math.min(seq, chunks.size()));
    List<Chunk> out = new ArrayList<>();
    int chars = 0;
    for (int i = from; i < chunks.size() && (out.isEmpty() || chars < maxChars); i++) {
      Chunk c = chunks.get(i);
      out.add(c);
      chars += c.text().length();
    }
    boolean complete = from + out.size() == chunks.size();
    return new Slice(out, complete ? state : GenerationState.RUNNING, complete ? error : null);
  }

  public synchronized void usage(long prompt, long completion) {
    promptTokens = prompt;
    completionTokens = completion;
  }

  public synchronized long lastSeq() {
    return chunks.size();
  }

  public synchronized GenerationState state() {
    return state;
  }

  public synchronized String error() {
    return error;
  }

  public synchronized String text() {
    return text.toString();
  }

  public synchronized String reasoning() {
    return reasoning.toString();
  }

  public synchronized long firstChunkAt() {
    return firstChunkAt;
  }

  /** When the last chunk was appended (0 before the first). */
  public synchronized long lastChunkAt() {
    return lastChunkAt;
  }

  public synchronized long endedAt() {
    return endedAt;
  }

  public synchronized long completionTokens() {
    return completionTokens >= 0 ? completionTokens : chunks.size();
  }

  public synchronized long promptTokens() {
    return promptTokens;
  }

  /** Milliseconds from start to the first chunk, or -1 before it. */
  public synchronized long ttftMs() {
    return firstChunkAt == 0 ? -1 : firstChunkAt - info.startedAt();
  }

  /** Chunks per second since the first chunk (a chunk is about one token). */
  public synchronized double tokensPerSecond() {
    if (firstChunkAt == 0 || chunks.size() < 2) return 0;
    long end = state.isFinal() ? endedAt : System.currentTimeMillis();
    double seconds = Math.max(1, end - firstChunkAt) / 1000.0;
    return (chunks.size() - 1) / seconds;
  }

  public int viewers() {
    return viewers.get();
  }

  public void viewerJoined() {
    viewers.incrementAndGet();
  }

  public void viewerLeft() {
    viewers.decrementAndGet();
  }
}
