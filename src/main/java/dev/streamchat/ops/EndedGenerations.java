package dev.streamchat.ops;

import dev.streamchat.stream.GenerationStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

/** The generations that ended in the last hour, newest first, in memory and bounded. */
public final class EndedGenerations {

  public static final long WINDOW_MS = 3_600_000;
  private static final int MAX_KEPT = 1_000;

  /** How one generation ended, with its figures. */
  public record Ended(String id, String conversationId, String owner, String model, String state,
      String error, long startedAt, long endedAt, long chunks, long ttftMs, double tokensPerSecond,
      long bytesSent) {
  }

  private final Deque<Ended> newestFirst = new ArrayDeque<>();
  private final Viewers viewers;
  private long version;

  public EndedGenerations(Viewers viewers) {
    this.viewers = viewers;
  }

  /** Keeps the figures of a generation that has just ended. */
  public void add(GenerationStatus log) {
    var info = log.info();
    Ended e = new Ended(log.id(), info.conversationId(), info.owner(), info.model(), log.state().wire(),
        log.error(), info.startedAt(), log.endedAt(), log.lastSeq(), log.ttftMs(), log.tokensPerSecond(),
        viewers.ended(log.id()).bytesSent());
    synchronized (this) {
      newestFirst.addFirst(e);
      while (newestFirst.size() > MAX_KEPT) newestFirst.removeLast();
      version++;
    }
  }

  /** Those that ended within the last hour, newest first, at most {@code limit}. */
  public synchronized List<Ended> recent(long now, int limit) {
    for (Iterator<Ended> it = newestFirst.descendingIterator(); it.hasNext(); ) {
      if (it.next().endedAt() >= now - WINDOW_MS) break;
      it.remove();
      version++;
    }
    List<Ended> out = new ArrayList<>(Math.min(limit, newestFirst.size()));
    for (Ended e : newestFirst) {
      if (out.size() == limit) break;
      out.add(e);
    }
    return out;
  }

  public synchronized int count() {
    return newestFirst.size();
  }

  /** Changes whenever the list does, so a view can tell it needs no new render. */
  public synchronized long version() {
    return version;
  }
}
