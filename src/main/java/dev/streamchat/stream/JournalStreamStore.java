package dev.streamchat.stream;

import dev.streamchat.model.Usage;
import dev.streamchat.stream.journal.Journal;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded stream store: every record goes through a {@link Journal}. Reads of chunks come
 * back from the journal. A running generation keeps its counters and its text so far (one or two
 * bytes a character, no chunk objects), so that its whole answer (a page reload, the database save
 * at its end) is not read back from the journal: the journal's records of all answers running at
 * once lie between its own, and a whole read scans them all. Ended answers are kept a while for
 * the save that follows; ended generations that were read are kept in a cache bounded by the
 * characters it holds, and ended statuses in a small one bounded by count (a status is a few
 * hundred bytes).
 */
public final class JournalStreamStore implements StreamStore {

  private static final Logger LOG = LoggerFactory.getLogger(JournalStreamStore.class);
  /** What the store keeps of ended answers it has read, in characters of text. */
  public static final long DEFAULT_CACHE_CHARS = 16L * 1024 * 1024;
  private static final int ENDED_STATUSES = 4096;
  /** How many answers that just ended are kept whole, and how many characters of them at most. */
  private static final int JUST_ENDED = 1024;
  private static final long JUST_ENDED_CHARS = 8L * 1024 * 1024;
  /** A read of a whole answer: the answer byte cap bounds what this reads. */
  private static final int ALL = Integer.MAX_VALUE;

  private final Journal journal;
  private final Map<String, Live> running = new ConcurrentHashMap<>();
  private final LinkedHashMap<String, GenerationStatus> endedStatuses = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, GenerationStatus> eldest) {
      return size() > ENDED_STATUSES;
    }
  };
  /** The answers that ended last, whole, for the reads that follow an end (the database save). */
  private final Bounded<Answer> justEnded = new Bounded<>(JUST_ENDED_CHARS, JUST_ENDED, false,
      a -> a.text().length() + a.reasoning().length());
  /** Ended logs that were read, whole. */
  private final Bounded<EndedLog> endedLogs;
  /** Ended logs being read into the cache after a read of a slice of them. */
  private final Set<String> caching = ConcurrentHashMap.newKeySet();
  /** Counts deletes, so a read that overlapped one does not put back what was deleted. */
  private final AtomicLong deletions = new AtomicLong();

  /** The counters of a generation being written, and its text so far (what the journal holds of it). */
  private static final class Live {
    final GenerationInfo info;
    volatile long lastSeq;
    volatile long firstChunkAt;
    volatile long lastChunkAt;
    /** Guarded by this: appended once durable, read whole with the status they agree with. */
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    /** Whether the text above is all of it: not for a log taken up after a restart. */
    final boolean holdsAllText;

    Live(GenerationInfo info, long lastSeq) {
      this.info = info;
      this.lastSeq = lastSeq;
      this.holdsAllText = lastSeq == 0;
    }

    GenerationStatus status(GenerationEnd end) {
      return new GenerationStatus(info, lastSeq, firstChunkAt, lastChunkAt, end);
    }

    synchronized void written(List<Chunk> chunks, long now) {
      for (Chunk c : chunks) (c.kind() == Chunk.Kind.TEXT ? text : reasoning).append(c.text());
      if (firstChunkAt == 0) firstChunkAt = now;
      lastChunkAt = now;
      lastSeq = chunks.get(chunks.size() - 1).seq();
    }

    synchronized Answer answer(GenerationEnd end) {
      return new Answer(status(end), text.toString(), reasoning.toString());
    }
  }

  public JournalStreamStore(Journal journal) {
    this(journal, DEFAULT_CACHE_CHARS);
  }

  public JournalStreamStore(Journal journal, long cacheChars) {
    this.journal = journal;
    this.endedLogs = new Bounded<>(cacheChars, Integer.MAX_VALUE, true, EndedLog::weight);
  }

  @Override
  public Future<Void> start(GenerationInfo info) {
    return journal.start(info).andThen(ar -> {
      if (ar.succeeded()) running.put(info.id(), new Live(info, 0));
    });
  }

  @Override
  public Future<Long> append(String generationId, List<Chunk> chunks) {
    Live live = running.get(generationId);
    if (live == null) return Future.failedFuture(new IllegalStateException("generation " + generationId + " is not running"));
    if (chunks.isEmpty()) return Future.succeededFuture(live.lastSeq);
    return journal.append(generationId, chunks).map(v -> {
      live.written(chunks, System.currentTimeMillis());
      return live.lastSeq;
    });
  }

  /**
   * Writes the end record. If the journal cannot (a full disk), the generation still ends here,
   * for every reader of this process; the next start finds it without an end and marks it
   * interrupted.
   */
  @Override
  public Future<GenerationStatus> finish(String generationId, GenerationEnd end) {
    Live live = running.get(generationId);
    if (live == null) return Future.failedFuture(new IllegalStateException("generation " + generationId + " is not running"));
    GenerationEnd withFirst = live.firstChunkAt == 0 || end.firstChunkAt() != 0 ? end
        : new GenerationEnd(end.state(), end.error(), end.finishReason(), end.usage(), end.endedAt(), live.firstChunkAt);
    return journal.end(generationId, withFirst).transform(ar -> {
      if (ar.failed()) LOG.error("generation {}: its end record could not be written: {}", generationId, ar.cause().toString());
      Answer answer = live.answer(withFirst);
      synchronized (endedStatuses) {
        endedStatuses.put(generationId, answer.status());
      }
      if (live.holdsAllText) justEnded.put(generationId, answer);
      running.remove(generationId);
      return Future.succeededFuture(answer.status());
    });
  }

  @Override
  public Future<GenerationStatus> status(String generationId) {
    Live live = running.get(generationId);
    if (live != null) return Future.succeededFuture(live.status(null));
    synchronized (endedStatuses) {
      GenerationStatus s = endedStatuses.get(generationId);
      if (s != null) return Future.succeededFuture(s);
    }
    EndedLog cached = endedLogs.get(generationId);
    if (cached != null) return Future.succeededFuture(cached.status());
    return journal.read(generationId, Long.MAX_VALUE, 0).map(found -> {
      Journal.Slice s = found.orElseThrow(() -> new NotFound(generationId));
      return statusOf(s);
    });
  }

  @Override
  public Future<Slice> read(String generationId, long afterSeq, int maxChars) {
    Live live = running.get(generationId);
    if (live == null) return readEnded(generationId, afterSeq, maxChars);
    return journal.read(generationId, afterSeq, maxChars).compose(found -> {
      if (found.isEmpty()) return Future.failedFuture(new NotFound(generationId));
      Journal.Slice s = found.get();
      // The status of the journal's read: its last chunk is the one the text read ends with.
      GenerationStatus status = s.end() != null ? statusOf(s)
          : new GenerationStatus(s.info(), s.lastSeq(), live.firstChunkAt, live.lastChunkAt, null);
      return Future.succeededFuture(new Slice(status, s.chunks()));
    });
  }

  @Override
  public Future<Answer> answer(String generationId) {
    Live live = running.get(generationId);
    if (live != null && live.holdsAllText) return Future.succeededFuture(live.answer(null));
    Answer answer = justEnded.get(generationId);
    if (answer != null) return Future.succeededFuture(answer);
    Future<Slice> whole = live != null ? read(generationId, 0, ALL) : ended(generationId).map(e -> e.slice(0, ALL));
    return whole.map(slice -> {
      StringBuilder text = new StringBuilder();
      StringBuilder reasoning = new StringBuilder();
      for (Chunk c : slice.chunks()) (c.kind() == Chunk.Kind.TEXT ? text : reasoning).append(c.text());
      return new Answer(slice.status(), text.toString(), reasoning.toString());
    });
  }

  /**
   * A slice of an ended generation: from the cache, or else read from the journal by its index
   * (a resume in the middle of a long answer after a restart does not wait for the whole log to
   * be read), and the whole log is cached afterwards for the reads that follow.
   */
  private Future<Slice> readEnded(String generationId, long afterSeq, int maxChars) {
    EndedLog cached = endedLogs.get(generationId);
    if (cached != null) return Future.succeededFuture(cached.slice(afterSeq, maxChars));
    return journal.read(generationId, afterSeq, maxChars).map(found -> {
      Journal.Slice s = found.orElseThrow(() -> new NotFound(generationId));
      if (endedLogs.fits(EndedLog.leastWeight(s.lastSeq())) && caching.add(generationId)) {
        // To the cache, for the next reads of this answer: one read however many readers come meanwhile.
        ended(generationId).onComplete(ar -> caching.remove(generationId));
      }
      return new Slice(endedStatus(generationId, s), s.chunks());
    });
  }

  /**
   * An ended generation's whole log, from the cache or read from the journal. Each caller gets a
   * future of its own: one from the journal completes on the caller's context, which the caller
   * may rely on (a response is written on its connection's event loop).
   */
  private Future<EndedLog> ended(String generationId) {
    EndedLog cached = endedLogs.get(generationId);
    if (cached != null) return Future.succeededFuture(cached);
    long deletionsBefore = deletions.get();
    return journal.read(generationId, 0, ALL).map(found -> {
      Journal.Slice s = found.orElseThrow(() -> new NotFound(generationId));
      GenerationStatus status = endedStatus(generationId, s);
      EndedLog entry = new EndedLog(status, s.chunks());
      // A delete that ran while this read was under way must not be undone by caching what it read.
      if (status.ended() && deletions.get() == deletionsBefore) endedLogs.put(generationId, entry);
      return entry;
    });
  }

  private GenerationStatus endedStatus(String generationId, Journal.Slice s) {
    if (s.end() != null) return statusOf(s);
    // Ended in this process without a durable end record (the disk was full), or still
    // unrecovered: the status kept at the end is the truth.
    synchronized (endedStatuses) {
      return endedStatuses.getOrDefault(generationId, statusOf(s));
    }
  }

  /** Whether the store holds the ended generation's whole log in memory (for tests). */
  boolean cached(String generationId) {
    return endedLogs.get(generationId) != null;
  }

  private static GenerationStatus statusOf(Journal.Slice s) {
    long first = s.end() == null ? 0 : s.end().firstChunkAt();
    return new GenerationStatus(s.info(), s.lastSeq(), first, 0, s.end());
  }

  @Override
  public List<GenerationStatus> running() {
    List<GenerationStatus> out = new ArrayList<>(running.size());
    for (Live l : running.values()) out.add(l.status(null));
    return out;
  }

  /**
   * Ends, as interrupted, each generation the journal found without an end record when it opened.
   * One that has an end record by now is left as it is: the upgrade import writes to the journal
   * before this runs, and finishes a log whose import a crash cut short.
   */
  @Override
  public Future<List<GenerationStatus>> recover() {
    return journal.recover().compose(unfinished -> {
      List<Future<GenerationStatus>> ends = new ArrayList<>();
      for (Journal.Unfinished u : unfinished) {
        String id = u.info().id();
        ends.add(journal.read(id, Long.MAX_VALUE, 0).compose(now -> {
          if (now.isPresent() && now.get().end() != null) return Future.succeededFuture(null);
          running.put(id, new Live(u.info(), now.map(Journal.Slice::lastSeq).orElse(u.lastSeq())));
          return finish(id, GenerationEnd.interruptedByRestart(System.currentTimeMillis()));
        }));
      }
      return Future.all(ends).map(all -> {
        List<GenerationStatus> interrupted = new ArrayList<>();
        for (GenerationStatus s : all.<GenerationStatus>list()) {
          if (s != null) interrupted.add(s);
        }
        if (!interrupted.isEmpty()) LOG.info("marked {} generation(s) interrupted by the last shutdown", interrupted.size());
        return interrupted;
      });
    });
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    List<String> ended = generationIds.stream().filter(id -> !running.containsKey(id)).toList();
    deletions.incrementAndGet();
    for (String id : ended) {
      endedLogs.remove(id);
      synchronized (endedStatuses) {
        endedStatuses.remove(id);
      }
      justEnded.remove(id);
    }
    return journal.delete(ended);
  }

  @Override
  public Future<Void> ping() {
    return journal.ping();
  }

  @Override
  public Future<Void> close() {
    List<Future<GenerationStatus>> ends = new ArrayList<>();
    for (String id : List.copyOf(running.keySet())) {
      ends.add(finish(id, new GenerationEnd(GenerationState.INTERRUPTED,
          "The server was shut down while this answer was being written.", null, Usage.UNKNOWN,
          System.currentTimeMillis(), 0)));
    }
    return Future.join(ends).eventually(journal::close).mapEmpty();
  }

  /** An ended generation's whole log, as the cache of ended logs keeps it. */
  private record EndedLog(GenerationStatus status, List<Chunk> chunks, long weight) {
    EndedLog(GenerationStatus status, List<Chunk> chunks) {
      this(status, chunks, weigh(chunks));
    }

    /** What a log of {@code chunks} chunks weighs at the least, whatever their text. */
    static long leastWeight(long chunks) {
      return 256 + 48 * chunks;
    }

    private static long weigh(List<Chunk> chunks) {
      long w = leastWeight(chunks.size());
      for (Chunk c : chunks) w += c.text().length();
      return w;
    }

    Slice slice(long afterSeq, int maxChars) {
      int from = (int) Math.max(0, Math.min(afterSeq, chunks.size()));
      List<Chunk> out = new ArrayList<>();
      long chars = 0;
      for (int i = from; i < chunks.size() && (out.isEmpty() || chars + chunks.get(i).text().length() <= maxChars); i++) {
        if (maxChars <= 0) break;
        out.add(chunks.get(i));
        chars += chunks.get(i).text().length();
      }
      return new Slice(status, out);
    }
  }

  /**
   * Values by generation, bounded by their weight (about their characters) and their number: the
   * least recently used go first (with access order; else the oldest). A value heavier than a
   * quarter of the budget is not kept: one huge answer would flush all the others.
   */
  private static final class Bounded<V> {
    private final long budget;
    private final int maxEntries;
    private final ToLongFunction<V> weigh;
    private final LinkedHashMap<String, V> entries;
    private long used;

    Bounded(long budget, int maxEntries, boolean accessOrder, ToLongFunction<V> weigh) {
      this.budget = budget;
      this.maxEntries = maxEntries;
      this.weigh = weigh;
      this.entries = new LinkedHashMap<>(64, 0.75f, accessOrder);
    }

    synchronized V get(String id) {
      return entries.get(id);
    }

    /** Whether a value of this weight would be kept. */
    boolean fits(long weight) {
      return weight <= budget / 4;
    }

    synchronized void put(String id, V value) {
      long w = weigh.applyAsLong(value);
      if (!fits(w)) return;
      V old = entries.put(id, value);
      if (old != null) used -= weigh.applyAsLong(old);
      used += w;
      var eldest = entries.entrySet().iterator();
      while ((used > budget || entries.size() > maxEntries) && eldest.hasNext()) {
        used -= weigh.applyAsLong(eldest.next().getValue());
        eldest.remove();
      }
    }

    synchronized void remove(String id) {
      V old = entries.remove(id);
      if (old != null) used -= weigh.applyAsLong(old);
    }
  }
}
