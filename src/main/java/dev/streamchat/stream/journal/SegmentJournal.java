package dev.streamchat.stream.journal;

import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded journal: one append-only log per process, cut into segment files
 * ({@code <dir>/<number>.seg}), shared by every generation.
 *
 * <ul>
 *   <li><b>Group commit.</b> Every write that is waiting is framed into one buffer and written with
 *       one call (and, in {@link Durability#DISK} mode, one {@code force}); only then do their
 *       futures succeed and their chunks become readable. In {@link Durability#OS} mode an event
 *       loop writes what it queued at the end of its turn; otherwise (and for an fsync) a writer
 *       thread does.
 *   <li><b>Framing.</b> Each record carries its length and CRC32C, so a record torn by a crash is
 *       found and cut on {@link #recover}; a failed write is cut at once (the file is truncated back
 *       to its last whole record) and fails with {@link JournalWriteException}.
 *   <li><b>Index.</b> Each generation keeps a sparse index (seq → position); a read seeks and scans a
 *       few records, so resuming a long answer costs the same as a short one.
 *   <li><b>Compaction.</b> Once the bytes no longer needed outweigh those still needed, every closed
 *       segment is rewritten into one: an ended generation becomes one record per 64 KiB of its
 *       text (chunk boundaries kept, so every seq still means the same text), a deleted one
 *       disappears, a running one is copied. The new segment names the segments it replaces, which
 *       are then deleted.
 * </ul>
 */
public final class SegmentJournal implements Journal {

  private static final Logger LOG = LoggerFactory.getLogger(SegmentJournal.class);
  private static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{12})\\.seg");
  private static final String COMPACTING_SUFFIX = ".compacting";
  /** Text per record when compacting: a read after any seq decodes at most this much to find it. */
  private static final int RECORD_TEXT_BYTES = 64 * 1024;
  /** An append larger than this is split into several records. */
  private static final int APPEND_RECORD_BYTES = 1024 * 1024;
  private static final int MAX_BATCH = 8192;
  private static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;
  private static final long COMPACT_RETRY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Vertx vertx;
  private final Path dir;
  private final JournalOptions options;
  private final Map<String, Generation> generations = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  /** Ops waiting to be written, in the order they were submitted. */
  private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
  /** Held by whoever is writing: the writer thread, or an event loop at the end of its turn. */
  private final ReentrantLock lock = new ReentrantLock();
  /** Something was queued for the writer thread since it last looked. */
  private final AtomicBoolean writerWanted = new AtomicBoolean();
  /** Per event loop: its end-of-turn commit is already queued. */
  private final ThreadLocal<boolean[]> commitQueued = ThreadLocal.withInitial(() -> new boolean[1]);
  /** The close has been written: everything after it fails. */
  private volatile boolean stopped;
  private final ExecutorService compactor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "streamchat-journal-compactor");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean compacting = new AtomicBoolean();
  /** After a failed compaction (a full disk, most likely) the next waits this long. */
  private volatile long compactRetryAt = System.nanoTime();
  private final AtomicLong diskBytes = new AtomicLong();
  private final AtomicLong liveBytes = new AtomicLong();
  private final AtomicLong writeCalls = new AtomicLong();
  private final AtomicLong forces = new AtomicLong();
  private final AtomicLong compactions = new AtomicLong();
  private final AtomicReference<Future<List<Unfinished>>> recovery = new AtomicReference<>();
  private volatile boolean recovered;
  private volatile boolean closed;
  private volatile Thread writer;

  // Guarded by the lock.
  private final Records.Writer out = new Records.Writer();
  /** Futures to complete once the lock is released. */
  private List<Outcome> outcomes = new ArrayList<>();
  private final List<Pending> pending = new ArrayList<>();
  private Segment active;
  private volatile long nextGenNo = 1;
  private long nextSegmentNo = 1;
  /** A failed write could not be cut back yet: cut it before the next one. */
  private boolean mustTruncate;
  /** Runs between a read's look at the index and its scan (tests move segments under a read here). */
  volatile Runnable beforeScan = () -> { };

  public SegmentJournal(Vertx vertx, Path dir, JournalOptions options) {
    this.vertx = vertx;
    this.dir = dir;
    this.options = options;
  }

  // ---------------------------------------------------------------- the port

  @Override
  public Future<Void> start(GenerationInfo info) {
    return submit(new StartOp(info, Promise.promise()));
  }

  @Override
  public Future<Void> append(String generationId, List<Chunk> chunks) {
    for (Chunk c : chunks) {
      if (c == null) return Future.failedFuture(new IllegalArgumentException("a null chunk"));
    }
    return submit(new AppendOp(generationId, List.copyOf(chunks), Promise.promise()));
  }

  @Override
  public Future<Void> end(String generationId, GenerationEnd end) {
    return submit(new EndOp(generationId, end, Promise.promise()));
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    return submit(new DeleteOp(List.copyOf(generationIds), Promise.promise()));
  }

  @Override
  public Future<Optional<Slice>> read(String generationId, long afterSeq, int maxChars) {
    return afterRecovery(() -> vertx.executeBlocking(() -> readNow(generationId, afterSeq, maxChars), false));
  }

  /** Recovers once; a call before it (or a second call) waits for that one recovery. */
  @Override
  public Future<List<Unfinished>> recover() {
    Promise<List<Unfinished>> mine = Promise.promise();
    if (recovery.compareAndSet(null, mine.future())) {
      vertx.executeBlocking(this::recoverNow, false).onComplete(mine);
    }
    return recovery.get();
  }

  private <T> Future<T> afterRecovery(Supplier<Future<T>> call) {
    if (closed) return Future.failedFuture(new IllegalStateException("journal closed"));
    return recovered ? call.get() : recover().compose(unfinished -> call.get());
  }

  @Override
  public Future<Void> ping() {
    return afterRecovery(() -> vertx.executeBlocking(() -> {
      Path probe = dir.resolve(".ping");
      try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.allocate(4096));
      } catch (IOException e) {
        throw new JournalWriteException("the journal cannot write to " + dir + ": " + reason(e), e);
      } finally {
        Files.deleteIfExists(probe);
      }
      return null;
    }, false));
  }

  @Override
  public Future<Void> close() {
    if (closed) return Future.succeededFuture();
    closed = true;
    Future<List<Unfinished>> recovering = recovery.get();
    if (recovering == null) {
      compactor.shutdownNow();
      return Future.succeededFuture();
    }
    return recovering.transform(ignored -> vertx.executeBlocking(() -> {
      compactor.shutdown();
      if (!recovered) return null; // recovery failed: no writer, no files open
      compactor.awaitTermination(1, TimeUnit.MINUTES);
      Promise<Void> done = Promise.promise();
      enqueue(new CloseOp(done));
      done.future().toCompletionStage().toCompletableFuture().join();
      return null;
    }, false));
  }

  /** Rewrites the closed segments now (tests and benchmarks; otherwise it starts by itself). */
  public Future<Void> compact() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    compactor.execute(() -> {
      try {
        compactNow();
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return Future.fromCompletionStage(done);
  }

  /** Figures for metrics, tests and the benchmark. */
  public record Stats(long diskBytes, long textBytes, long generations, long segments, long writeCalls,
      long forces, long compactions, boolean compacting) {
  }

  public Stats stats() {
    long text = 0;
    for (Generation g : generations.values()) {
      synchronized (g) {
        text += g.textBytes;
      }
    }
    return new Stats(diskBytes.get(), text, generations.size(), segments.size(), writeCalls.get(),
        forces.get(), compactions.get(), compacting.get());
  }

  // ---------------------------------------------------------------- writes

  private sealed interface Op permits StartOp, AppendOp, EndOp, DeleteOp, RollOp, CloseOp {
    Promise<?> promise();
  }

  private record StartOp(GenerationInfo info, Promise<Void> promise) implements Op {
  }

  private record AppendOp(String id, List<Chunk> chunks, Promise<Void> promise) implements Op {
  }

  private record EndOp(String id, GenerationEnd end, Promise<Void> promise) implements Op {
  }

  private record DeleteOp(List<String> ids, Promise<Void> promise) implements Op {
  }

  /** Closes the active segment for compaction; answers its number. */
  private record RollOp(Promise<Long> promise) implements Op {
  }

  private record CloseOp(Promise<Void> promise) implements Op {
  }

  /** How an op ended: written (no failure) or refused. */
  private record Outcome(Promise<?> promise, Throwable failure) {
  }

  /** An encoded write waiting for the buffer to reach the file; {@code apply} runs once it has. */
  private record Pending(Promise<Void> promise, Effect apply) {
  }

  /** What a write changes in memory once it is on disk; {@code base} is where the buffer landed. */
  private interface Effect {
    void apply(long base);
  }

  /**
   * Queues a write. Its future completes on the caller's Vert.x context when it has one, so the
   * caller's code never runs on (and never holds up) another context or the writer thread.
   */
  private Future<Void> submit(Op op) {
    Context caller = Vertx.currentContext();
    return afterRecovery(() -> {
      @SuppressWarnings("unchecked")
      Future<Void> written = (Future<Void>) op.promise().future();
      Future<Void> result = written;
      if (caller != null) {
        Promise<Void> there = Promise.promise();
        // Written by the caller's own end-of-turn commit: no hop back, the caller is already here.
        written.onComplete(ar -> {
          if (Vertx.currentContext() == caller) there.handle(ar);
          else caller.runOnContext(v -> there.handle(ar));
        });
        result = there.future();
      }
      enqueue(op);
      return result;
    });
  }

  /**
   * Queues an op and sees that it gets written. In {@code os} mode an event loop writes what it
   * queued itself, at the end of its current turn: every append of that turn in one write, and no
   * hand-off to the writer thread and back before the chunks can be published (a write to the
   * page cache costs microseconds). In {@code disk} mode, and for callers that are not event loops,
   * the writer thread does it, so no event loop ever waits for an fsync.
   */
  private void enqueue(Op op) {
    queue.add(op);
    if (stopped) {
      commit(); // closed meanwhile: fails what is left
      return;
    }
    Context here = Vertx.currentContext();
    if (options.durability() == Durability.OS && here != null && here.isEventLoopContext()) {
      boolean[] queued = commitQueued.get();
      if (!queued[0]) {
        queued[0] = true;
        here.runOnContext(v -> {
          queued[0] = false;
          commit();
        });
      }
    } else if (!writerWanted.getAndSet(true)) {
      LockSupport.unpark(writer);
    }
  }

  private void runWriter() {
    while (!stopped) {
      if (writerWanted.getAndSet(false)) {
        commit();
      } else {
        LockSupport.park(this);
        Thread.interrupted(); // only the close ends the writer
      }
    }
  }

  /**
   * Writes everything queued (group commit): whoever finds the lock free writes for everyone, and
   * whoever finds it held leaves its ops to the holder, which looks at the queue again after it
   * lets go. Futures complete after the lock is released.
   */
  private void commit() {
    while (!queue.isEmpty() && lock.tryLock()) {
      List<Outcome> done;
      try {
        writeQueued();
        done = outcomes;
        outcomes = new ArrayList<>();
      } finally {
        lock.unlock();
      }
      settle(done);
    }
  }

  /** Takes one batch off the queue and writes it; under the lock. */
  private void writeQueued() {
    List<Op> batch = new ArrayList<>();
    Op next;
    while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) batch.add(next);
    for (Op op : batch) {
      if (stopped) {
        outcomes.add(new Outcome(op.promise(), new IllegalStateException("journal closed")));
      } else if (op instanceof RollOp r) {
        flushSafely();
        rollForCompaction(r);
      } else if (op instanceof CloseOp c) {
        flushSafely();
        closeFiles();
        stopped = true;
        LockSupport.unpark(writer); // it ends
        outcomes.add(new Outcome(c.promise(), null));
      } else {
        int mark = out.len;
        try {
          encode(op);
        } catch (RuntimeException e) {
          out.truncate(mark); // nothing of a refused op is written
          outcomes.add(new Outcome(op.promise(), e));
        }
        if (out.len >= MAX_BATCH_BYTES) flushSafely();
      }
    }
    flushSafely();
  }

  /** Completes the futures of what was written (or refused), outside the lock. */
  private static void settle(List<Outcome> done) {
    for (Outcome o : done) {
      try {
        if (o.failure() == null) o.promise().tryComplete();
        else o.promise().tryFail(o.failure());
      } catch (RuntimeException e) {
        LOG.error("a journal caller failed on its result", e); // the others still get theirs
      }
    }
  }

  private void encode(Op op) {
    if (op instanceof StartOp s) {
      encodeStart(s);
    } else if (op instanceof AppendOp a) {
      encodeAppend(a);
    } else if (op instanceof EndOp e) {
      encodeEnd(e);
    } else if (op instanceof DeleteOp d) {
      encodeDelete(d);
    }
  }

  private void rollForCompaction(RollOp r) {
    try {
      long sealed = active.no;
      roll(true);
      r.promise().complete(sealed);
    } catch (IOException e) {
      r.promise().fail(new JournalWriteException("cannot start a new journal segment: " + reason(e), e));
    }
  }

  private void flushSafely() {
    try {
      flush();
    } catch (RuntimeException e) {
      // A fault of the journal's own: fail what waited rather than lose the writer thread.
      LOG.error("journal writer fault", e);
      for (Pending p : pending) outcomes.add(new Outcome(p.promise(), e));
      pending.clear();
      out.reset();
    }
  }

  /** Generations started in this batch but not yet written (their number is taken). */
  private final Map<String, Generation> startedInBatch = new HashMap<>();
  /** Last seq of generations appended to in this batch, as it will be once written. */
  private final Map<Generation, Long> seqInBatch = new IdentityHashMap<>();
  private final Set<Generation> endedInBatch = Collections.newSetFromMap(new IdentityHashMap<>());

  private Generation known(String id) {
    Generation g = generations.get(id);
    return g != null ? g : startedInBatch.get(id);
  }

  private void encodeStart(StartOp op) {
    String id = op.info().id();
    if (id == null || id.isEmpty()) throw new IllegalArgumentException("a generation needs an id");
    if (known(id) != null) throw new IllegalStateException("generation " + id + " is already in the journal");
    Generation g = new Generation(nextGenNo++, op.info());
    Codec.start(out, g.no, op.info());
    int len = out.finish();
    startedInBatch.put(id, g);
    pending.add(new Pending(op.promise(), base -> {
      synchronized (g) {
        g.diskBytes += len;
      }
      liveBytes.addAndGet(len);
      generations.put(id, g);
    }));
  }

  private void encodeAppend(AppendOp op) {
    Generation g = known(op.id());
    if (g == null) throw new IllegalStateException("no generation " + op.id() + " in the journal");
    if (g.end != null || endedInBatch.contains(g)) {
      throw new IllegalStateException("generation " + op.id() + " has ended");
    }
    List<Chunk> chunks = op.chunks();
    long last = seqInBatch.getOrDefault(g, g.lastSeq);
    for (int i = 0; i < chunks.size(); i++) {
      Chunk c = chunks.get(i);
      if (c.seq() != last + 1 + i || c.text() == null || c.kind() == null) {
        throw new IllegalArgumentException("chunk " + c.seq() + " does not follow " + (last + i)
            + " in generation " + op.id());
      }
    }
    if (chunks.isEmpty()) {
      op.promise().complete();
      return;
    }
    // One record per op, split only when its text is very large.
    List<long[]> records = new ArrayList<>(); // {offset in buffer, first seq, count, record length, text bytes}
    int from = 0;
    while (from < chunks.size()) {
      int to = from;
      long bytes = 0;
      List<byte[]> texts = new ArrayList<>();
      while (to < chunks.size() && (to == from || bytes < APPEND_RECORD_BYTES)) {
        byte[] t = chunks.get(to).text().getBytes(StandardCharsets.UTF_8);
        texts.add(t);
        bytes += t.length;
        to++;
      }
      int at = out.len;
      Codec.chunksHeader(out, g.no, chunks.get(from).seq(), to - from);
      for (int i = from; i < to; i++) {
        out.putVarLong(Codec.chunkLength(texts.get(i - from).length, chunks.get(i).kind() == Chunk.Kind.REASONING));
      }
      for (byte[] t : texts) out.putBytes(t);
      int len = out.finish();
      records.add(new long[] {at, chunks.get(from).seq(), to - from, len, bytes});
      from = to;
    }
    long newLast = last + chunks.size();
    seqInBatch.put(g, newLast);
    pending.add(new Pending(op.promise(), base -> {
      long before;
      long after;
      synchronized (g) {
        before = g.liveBytes();
        for (long[] r : records) {
          g.index.add(r[1], SparseIndex.pack(active.no, base + r[0]));
          g.diskBytes += r[3];
          g.textBytes += r[4];
          g.chunks += r[2];
        }
        g.lastSeq = newLast;
        after = g.liveBytes();
      }
      liveBytes.addAndGet(after - before);
    }));
  }

  private void encodeEnd(EndOp op) {
    Generation g = known(op.id());
    if (g == null) throw new IllegalStateException("no generation " + op.id() + " in the journal");
    if (g.end != null || endedInBatch.contains(g)) {
      throw new IllegalStateException("generation " + op.id() + " has already ended");
    }
    Codec.end(out, g.no, op.end());
    int len = out.finish();
    endedInBatch.add(g);
    pending.add(new Pending(op.promise(), base -> {
      long before;
      long after;
      synchronized (g) {
        before = g.liveBytes();
        g.diskBytes += len;
        g.end = op.end();
        after = g.liveBytes();
      }
      liveBytes.addAndGet(after - before);
    }));
  }

  private void encodeDelete(DeleteOp op) {
    List<Generation> gone = new ArrayList<>();
    for (String id : op.ids()) {
      Generation g = generations.get(id);
      if (g == null || g.end == null) continue; // unknown, or still running: only ended ones are forgotten
      Codec.delete(out, g.no);
      out.finish();
      gone.add(g);
    }
    pending.add(new Pending(op.promise(), base -> {
      for (Generation g : gone) {
        if (generations.remove(g.info.id(), g)) {
          synchronized (g) {
            liveBytes.addAndGet(-g.liveBytes());
          }
        }
      }
    }));
  }

  /** Writes the pending buffer with one call and, in disk mode, one force; then applies and completes. */
  private void flush() {
    if (pending.isEmpty()) return;
    List<Pending> batch = new ArrayList<>(pending);
    pending.clear();
    startedInBatch.clear();
    seqInBatch.clear();
    endedInBatch.clear();
    long base = active.visibleEnd;
    try {
      if (out.len > 0) {
        if (base >= options.segmentBytes()) {
          roll(false);
          base = active.visibleEnd;
        }
        if (mustTruncate) {
          active.channel.truncate(base);
          mustTruncate = false;
        }
        ByteBuffer bytes = ByteBuffer.wrap(out.buf, 0, out.len);
        long at = base;
        while (bytes.hasRemaining()) {
          at += active.channel.write(bytes, at);
          writeCalls.incrementAndGet();
        }
        if (options.durability() == Durability.DISK) {
          active.channel.force(false);
          forces.incrementAndGet();
        }
        active.visibleEnd = base + out.len;
        diskBytes.addAndGet(out.len);
      }
    } catch (IOException | RuntimeException e) {
      cutBack(active, base);
      JournalWriteException failure =
          new JournalWriteException("the journal could not write to " + dir + ": " + reason(e), e);
      LOG.warn("journal write of {} record(s) failed, cut back to the last whole record: {}", batch.size(), reason(e));
      out.reset();
      for (Pending p : batch) outcomes.add(new Outcome(p.promise(), failure));
      return;
    }
    out.reset();
    for (Pending p : batch) p.apply().apply(base);
    maybeCompact(); // decided before the writers hear back, so what they see next includes it
    for (Pending p : batch) outcomes.add(new Outcome(p.promise(), null));
  }

  /** Truncates a segment back to its last whole record after a failed write. */
  private void cutBack(Segment segment, long end) {
    try {
      segment.channel.truncate(end);
      mustTruncate = false;
    } catch (IOException e) {
      mustTruncate = true;
      LOG.warn("journal segment {} could not be cut back yet: {}", segment.path.getFileName(), reason(e));
    }
  }

  /**
   * Closes the active segment and starts the next; for compaction one number is kept free in
   * between for the compacted segment, so it sorts after all it replaces and before all newer writes.
   */
  private void roll(boolean reserveForCompaction) throws IOException {
    if (options.durability() == Durability.DISK) active.channel.force(false);
    long no = nextSegmentNo + (reserveForCompaction ? 1 : 0);
    Segment next = createSegment(no, -1);
    nextSegmentNo = no + 1;
    active = next;
  }

  private Segment createSegment(long no, long supersedes) throws IOException {
    Path path = dir.resolve(segmentName(no));
    FileChannel ch = options.channels().open(path);
    try {
      ch.truncate(0);
      Records.Writer w = new Records.Writer();
      Codec.segmentHeader(w, no, nextGenNo, supersedes);
      ch.write(ByteBuffer.wrap(w.buf, 0, w.len), 0);
      if (options.durability() == Durability.DISK) {
        ch.force(true);
        forceDirectory();
      }
      Segment s = new Segment(no, path, ch, w.len);
      segments.put(no, s);
      diskBytes.addAndGet(w.len);
      return s;
    } catch (IOException | RuntimeException e) {
      ch.close();
      Files.deleteIfExists(path);
      throw e;
    }
  }

  private void forceDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.debug("cannot force directory {}: {}", dir, e.toString());
    }
  }

  private static String segmentName(long no) {
    return String.format("%012d.seg", no);
  }

  private void closeFiles() {
    for (Segment s : segments.values()) {
      try {
        s.channel.close();
      } catch (IOException e) {
        LOG.warn("closing journal segment {}: {}", s.path.getFileName(), reason(e));
      }
    }
  }

  private static String reason(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  // ---------------------------------------------------------------- reads

  private Optional<Slice> readNow(String id, long afterSeq, int maxChars) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Generation g = generations.get(id);
      if (g == null) return Optional.empty();
      long last;
      GenerationEnd end;
      long from;
      synchronized (g) {
        last = g.lastSeq;
        end = g.end;
        from = g.index.floor(afterSeq + 1);
      }
      if (maxChars <= 0 || afterSeq >= last || from < 0) {
        return Optional.of(new Slice(g.info, List.of(), last, end));
      }
      beforeScan.run();
      try {
        return Optional.of(new Slice(g.info, scan(g.no, from, afterSeq, last, maxChars), last, end));
      } catch (ClosedChannelException | SegmentGone moved) {
        if (attempt >= 3) throw new IOException("journal segments kept moving under a read of " + id);
        // compaction moved this generation: read again from its new index
      }
    }
  }

  private static final class SegmentGone extends IOException {
    SegmentGone() {
      super(null, null);
    }
  }

  /** Scans forward from {@code from} for the chunks after {@code after}, up to {@code last}. */
  private List<Chunk> scan(long genNo, long from, long after, long last, int maxChars) throws IOException {
    List<Chunk> got = new ArrayList<>();
    long budget = maxChars;
    long cursor = after;
    Segment seg = segments.get(SparseIndex.segment(from));
    if (seg == null) throw new SegmentGone();
    long offset = SparseIndex.offset(from);
    while (seg != null) {
      SegmentScanner s = new SegmentScanner(seg.channel, offset, seg.visibleEnd, 16 * 1024);
      while (s.next(false)) {
        Records.Reader r = s.body();
        if (r.type() != Records.CHUNKS || r.getVarLong() != genNo) continue;
        Codec.Chunks c = Codec.Chunks.read(r);
        if (c.lastSeq() <= cursor) continue;
        if (!s.checksumHolds()) throw new IOException("journal record at " + s.recordPos() + " of "
            + seg.path.getFileName() + " fails its checksum");
        List<Chunk> part = c.after(cursor, budget, got.isEmpty());
        for (Chunk ch : part) {
          if (ch.seq() > last) return got;
          got.add(ch);
          budget -= ch.text().length();
          cursor = ch.seq();
        }
        if (cursor >= last || cursor < c.lastSeq()) return got; // all there is, or the budget is spent
      }
      Map.Entry<Long, Segment> next = segments.higherEntry(seg.no);
      seg = next == null ? null : next.getValue();
      offset = 0;
    }
    return got;
  }

  // ---------------------------------------------------------------- recovery

  private List<Unfinished> recoverNow() throws IOException {
    try {
      return scanAndRepair();
    } catch (IOException | RuntimeException e) {
      closeFiles();
      segments.clear();
      throw e;
    }
  }

  /** Reads every segment, cuts a torn tail, rebuilds the indexes and starts the writer. */
  private List<Unfinished> scanAndRepair() throws IOException {
    Files.createDirectories(dir);
    List<Long> numbers = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        Matcher m = SEGMENT_NAME.matcher(name);
        if (m.matches()) {
          numbers.add(Long.parseLong(m.group(1)));
        } else if (name.endsWith(COMPACTING_SUFFIX)) {
          Files.delete(f); // a compaction the last process did not finish; its inputs are all still here
          LOG.info("journal: removed {} left by an unfinished compaction", name);
        }
      }
    }
    numbers.sort(Comparator.naturalOrder());
    Map<Long, Codec.Header> headers = new HashMap<>();
    for (long no : numbers) {
      Path p = dir.resolve(segmentName(no));
      FileChannel ch = options.channels().open(p);
      Codec.Header h = null;
      SegmentScanner s = new SegmentScanner(ch, 0, ch.size(), 256);
      if (s.next(true)) h = Codec.Header.read(s.body());
      if (h == null || h.segmentNo() != no) {
        // Cut before its header was whole: nothing in it was ever written after.
        ch.close();
        Files.delete(p);
        LOG.info("journal: removed segment {} that has no whole header", p.getFileName());
        continue;
      }
      headers.put(no, h);
      segments.put(no, new Segment(no, p, ch, ch.size()));
    }
    long supersededThrough = headers.values().stream().mapToLong(Codec.Header::supersedesThrough).max().orElse(-1);
    for (Segment seg : List.copyOf(segments.headMap(supersededThrough, true).values())) {
      segments.remove(seg.no);
      seg.channel.close();
      Files.delete(seg.path);
      LOG.info("journal: removed segment {}, replaced by a compacted one", seg.path.getFileName());
    }
    Map<Long, Generation> byNo = new HashMap<>();
    long maxGenNo = 0;
    for (Segment seg : segments.values()) {
      nextGenNo = Math.max(nextGenNo, headers.get(seg.no).nextGenNo());
      SegmentScanner s = new SegmentScanner(seg.channel, 0, seg.visibleEnd, 1024 * 1024);
      while (s.next(true)) {
        Records.Reader r = s.body();
        byte type = r.type();
        if (type == Records.SEGMENT) continue;
        long no = r.getVarLong();
        maxGenNo = Math.max(maxGenNo, no);
        long pos = SparseIndex.pack(seg.no, s.recordPos());
        switch (type) {
          case Records.START -> {
            // A start seen again is a compacted copy: it replaces what came before.
            Generation g = new Generation(no, Codec.startInfo(r));
            g.diskBytes = s.recordLength();
            byNo.put(no, g);
          }
          case Records.CHUNKS -> {
            Generation g = byNo.get(no);
            if (g == null) continue;
            long first = r.getVarLong();
            long count = r.getVarLong();
            if (first != g.lastSeq + 1) {
              if (first > g.lastSeq + 1) {
                LOG.warn("journal: generation {} skips from chunk {} to {} in {}; later chunks ignored",
                    g.info.id(), g.lastSeq, first, seg.path.getFileName());
              }
              continue;
            }
            long text = 0;
            for (long k = 0; k < count; k++) text += r.getVarLong() >>> 1;
            g.index.add(first, pos);
            g.lastSeq = first + count - 1;
            g.chunks += count;
            g.textBytes += text;
            g.diskBytes += s.recordLength();
          }
          case Records.END -> {
            Generation g = byNo.get(no);
            if (g == null) continue;
            g.end = Codec.end(r);
            g.diskBytes += s.recordLength();
          }
          case Records.DELETE -> byNo.remove(no);
          default -> LOG.warn("journal: unknown record type {} in {}", type, seg.path.getFileName());
        }
      }
      if (s.torn()) {
        long cut = s.wholeEnd();
        LOG.warn("journal: dropped {} bytes of a torn record at the end of {} (offset {})",
            seg.visibleEnd - cut, seg.path.getFileName(), cut);
        seg.channel.truncate(cut);
        if (options.durability() == Durability.DISK) seg.channel.force(false);
        seg.visibleEnd = cut;
      }
      diskBytes.addAndGet(seg.visibleEnd);
    }
    nextGenNo = Math.max(nextGenNo, maxGenNo + 1);
    List<Unfinished> unfinished = new ArrayList<>();
    for (Generation g : byNo.values()) {
      generations.put(g.info.id(), g);
      liveBytes.addAndGet(g.liveBytes());
      if (g.end == null) unfinished.add(new Unfinished(g.info, g.lastSeq));
    }
    if (segments.isEmpty()) {
      active = createSegment(1, -1);
      nextSegmentNo = 2;
    } else {
      active = segments.lastEntry().getValue();
      nextSegmentNo = active.no + 1;
    }
    writer = new Thread(this::runWriter, "streamchat-journal-writer");
    writer.setDaemon(true);
    writer.start();
    recovered = true;
    LOG.info("journal {}: {} generation(s), {} unfinished, {} segment(s), {} bytes", dir, generations.size(),
        unfinished.size(), segments.size(), diskBytes.get());
    unfinished.sort(Comparator.comparingLong(u -> u.info().startedAt()));
    return unfinished;
  }

  // ---------------------------------------------------------------- compaction

  private void maybeCompact() {
    if (wantsCompaction() && compacting.compareAndSet(false, true)) scheduleCompaction();
  }

  /** Once the bytes no longer needed outweigh both the bytes still needed and the minimum. */
  private boolean wantsCompaction() {
    if (!options.autoCompact() || closed || System.nanoTime() - compactRetryAt < 0) return false;
    long live = liveBytes.get();
    return diskBytes.get() - live > Math.max(options.minGarbageBytes(), live);
  }

  /** Compacts, and again while writes during the run left enough to gain; the flag stays set till the last. */
  private void scheduleCompaction() {
    try {
      compactor.execute(() -> {
        try {
          compactNow();
        } catch (Throwable e) {
          compactRetryAt = System.nanoTime() + COMPACT_RETRY_NANOS;
          LOG.warn("journal compaction failed, the old segments stay; next try in a minute: {}", reason(e));
        }
        if (wantsCompaction()) {
          scheduleCompaction();
        } else {
          compacting.set(false);
        }
      });
    } catch (RejectedExecutionException closing) {
      compacting.set(false);
    }
  }

  private void compactNow() throws IOException {
    if (closed) return;
    Promise<Long> rolled = Promise.promise();
    enqueue(new RollOp(rolled));
    long sealed = rolled.future().toCompletionStage().toCompletableFuture().join();
    long outNo = sealed + 1;
    List<Segment> inputs = List.copyOf(segments.headMap(sealed, true).values());

    // Pass 1: which records of which living generation the closed segments hold.
    Map<Long, Generation> byNo = new HashMap<>();
    for (Generation g : generations.values()) byNo.put(g.no, g);
    Map<Long, Positions> held = new HashMap<>();
    for (Segment seg : inputs) {
      SegmentScanner s = new SegmentScanner(seg.channel, 0, seg.visibleEnd, 1024 * 1024);
      while (s.next(false)) {
        Records.Reader r = s.body();
        byte type = r.type();
        if (type == Records.SEGMENT || type == Records.DELETE) continue;
        long no = r.getVarLong();
        if (!byNo.containsKey(no)) continue;
        Positions p = held.computeIfAbsent(no, k -> new Positions());
        if (type == Records.START) p.clear(); // a compacted copy replaces what came before it
        p.add(SparseIndex.pack(seg.no, s.recordPos()), s.recordLength());
      }
    }

    // Pass 2: write each one's records, chunks merged, into the new segment.
    Path tmp = dir.resolve(segmentName(outNo) + COMPACTING_SUFFIX);
    Map<Generation, SparseIndex> moved = new IdentityHashMap<>();
    Map<Generation, long[]> movedBytes = new IdentityHashMap<>(); // {bytes now, bytes before}
    long outSize;
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Records.Writer w = new Records.Writer();
      RecordWindow window = new RecordWindow();
      long[] written = {0};
      Codec.segmentHeader(w, outNo, nextGenNo, sealed);
      List<Long> order = new ArrayList<>(held.keySet());
      order.sort(Comparator.naturalOrder());
      for (long no : order) {
        Generation g = byNo.get(no);
        SparseIndex index = new SparseIndex();
        long start = written[0] + w.len;
        Codec.start(w, no, g.info);
        w.finish();
        CompactRecord merged = new CompactRecord(no, outNo);
        for (int i = 0; i < held.get(no).size; i++) {
          Records.Reader r = window.body(held.get(no).at[i]);
          byte[] body = r.b;
          byte type = r.type();
          r.getVarLong();
          if (type == Records.CHUNKS) {
            Codec.Chunks c = Codec.Chunks.read(r);
            int off = c.textOff;
            for (int k = 0; k < c.count; k++) {
              // Full before this chunk: emit first, so a record never outgrows the one the chunk came in.
              if (merged.count > 0 && merged.text.len + c.bytes(k) > RECORD_TEXT_BYTES) {
                merged.emit(w, written[0], index);
              }
              merged.add(c.firstSeq + k, c.lengths[k], body, off, c.bytes(k));
              off += c.bytes(k);
            }
          } else if (type == Records.END) {
            merged.emit(w, written[0], index);
            Codec.end(w, no, Codec.end(r));
            w.finish();
          }
          if (w.len > 1024 * 1024) written[0] += drain(ch, w, written[0]);
        }
        merged.emit(w, written[0], index);
        moved.put(g, index);
        movedBytes.put(g, new long[] {written[0] + w.len - start, held.get(no).bytes});
      }
      written[0] += drain(ch, w, written[0]);
      ch.force(true);
      outSize = written[0];
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Path done = dir.resolve(segmentName(outNo));
    Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
    forceDirectory();
    segments.put(outNo, new Segment(outNo, done, options.channels().open(done), outSize));
    diskBytes.addAndGet(outSize);

    // Readers now find each moved generation in the new segment (and in newer ones for what came after).
    for (Map.Entry<Generation, SparseIndex> e : moved.entrySet()) {
      Generation g = e.getKey();
      long before;
      long after;
      synchronized (g) {
        before = g.liveBytes();
        g.index.copyAfter(outNo, e.getValue());
        g.index = e.getValue();
        long[] b = movedBytes.get(g);
        g.diskBytes += b[0] - b[1];
        after = g.liveBytes();
      }
      if (generations.get(g.info.id()) == g) liveBytes.addAndGet(after - before); // not if deleted meanwhile
    }
    for (Segment seg : inputs) {
      segments.remove(seg.no);
      seg.channel.close();
      Files.deleteIfExists(seg.path);
      diskBytes.addAndGet(-seg.visibleEnd);
    }
    compactions.incrementAndGet();
    LOG.info("journal compacted {} segment(s) into {} ({} bytes); journal now {} bytes", inputs.size(),
        done.getFileName(), outSize, diskBytes.get());
  }

  /**
   * Reads records by position through a buffer, so reading one generation's records in order
   * costs a few large reads, not one per record.
   */
  private final class RecordWindow {
    private byte[] buf = new byte[1024 * 1024];
    private Segment segment;
    private long start;
    private int len;

    /** The body of the record at {@code position}; valid until the next call. */
    Records.Reader body(long position) throws IOException {
      Segment seg = segments.get(SparseIndex.segment(position));
      if (seg == null) throw new IOException("journal segment " + SparseIndex.segment(position) + " is gone");
      long off = SparseIndex.offset(position);
      ensure(seg, off, Records.HEADER);
      int bodyLen = Records.getInt(buf, (int) (off - start));
      ensure(seg, off, Records.HEADER + bodyLen);
      int at = (int) (off - start);
      if (Records.crc(buf, at + Records.HEADER, bodyLen) != Records.getInt(buf, at + 4)) {
        throw new IOException("journal record at " + off + " of " + seg.path.getFileName() + " fails its checksum");
      }
      return new Records.Reader(buf, at + Records.HEADER, bodyLen);
    }

    private void ensure(Segment seg, long off, int n) throws IOException {
      if (seg == segment && off >= start && off + n <= start + len) return;
      if (n > buf.length) buf = new byte[n];
      ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, Math.max(n, seg.visibleEnd - off)));
      while (b.position() < n) {
        if (seg.channel.read(b, off + b.position()) < 0) throw new IOException("journal segment ends inside a record");
      }
      segment = seg;
      start = off;
      len = b.position();
    }
  }

  private static int drain(FileChannel ch, Records.Writer w, long at) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(w.buf, 0, w.len);
    while (b.hasRemaining()) ch.write(b, at + b.position());
    int n = w.len;
    w.reset();
    return n;
  }

  /** Positions and total bytes of one generation's records in the segments being compacted. */
  private static final class Positions {
    long[] at = new long[8];
    int size;
    long bytes;

    void add(long position, int length) {
      if (size == at.length) at = java.util.Arrays.copyOf(at, size * 2);
      at[size++] = position;
      bytes += length;
    }

    void clear() {
      size = 0;
      bytes = 0;
    }
  }

  /** Consecutive chunks of one generation being merged into one record. */
  private static final class CompactRecord {
    final long genNo;
    final long segmentNo;
    final Records.Writer lengths = new Records.Writer();
    final Records.Writer text = new Records.Writer();
    long firstSeq;
    int count;

    CompactRecord(long genNo, long segmentNo) {
      this.genNo = genNo;
      this.segmentNo = segmentNo;
    }

    void add(long seq, long kindAndLength, byte[] src, int off, int len) {
      if (count == 0) firstSeq = seq;
      lengths.putVarLong(kindAndLength);
      text.putBytes(src, off, len);
      count++;
    }

    /** Frames the merged chunks into {@code w} (whose bytes land at {@code base}) and indexes them. */
    void emit(Records.Writer w, long base, SparseIndex index) {
      if (count == 0) return;
      long at = base + w.len;
      Codec.chunksHeader(w, genNo, firstSeq, count);
      w.putBytes(lengths.buf, 0, lengths.len);
      w.putBytes(text.buf, 0, text.len);
      w.finish();
      index.add(firstSeq, SparseIndex.pack(segmentNo, at));
      lengths.reset();
      text.reset();
      count = 0;
    }
  }
}
