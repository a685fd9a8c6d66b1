package dev.streamchat.stream.journal;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One append-only JSON-lines file per generation under {@code <data dir>/streams}: a start line,
 * a line per chunk, an end line. A write reaches the OS (which keeps it through a crash of the
 * process) before its future succeeds. A write that fails is cut back off the file, so the next
 * record never follows half of one. Files of running generations keep an index of every
 * {@value #INDEX_EVERY}th chunk's offset, so a read after a cursor does not parse the whole file.
 */
public final class PerFileJournal implements Journal {

  private static final Logger LOG = LoggerFactory.getLogger(PerFileJournal.class);
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  /** Enough of a file's end to hold its end record. */
  private static final int TAIL_BYTES = 4096;
  private static final int INDEX_EVERY = 64;

  private final Vertx vertx;
  private final Path dir;
  private final Map<String, Open> open = new ConcurrentHashMap<>();

  /** A generation being written: its file, its whole length and last whole chunk, the index. */
  private static final class Open {
    final GenerationInfo info;
    final Path path;
    final FileChannel channel;
    /** Bytes of whole records; a failed write is cut back to this. */
    volatile long size;
    volatile long lastSeq;
    /** {@code offsets[i]} is where chunk {@code i * INDEX_EVERY + 1} starts. */
    long[] offsets = new long[16];
    int indexed;
    boolean broken;

    Open(GenerationInfo info, Path path, FileChannel channel, long size, long lastSeq) {
      this.info = info;
      this.path = path;
      this.channel = channel;
      this.size = size;
      this.lastSeq = lastSeq;
    }

    synchronized void index(long seq, long offset) {
      if ((seq - 1) % INDEX_EVERY != 0 || (seq - 1) / INDEX_EVERY != indexed) return;
      if (indexed == offsets.length) offsets = Arrays.copyOf(offsets, indexed * 2);
      offsets[indexed++] = offset;
    }

    /** Where to start reading for chunks after {@code afterSeq}, and the seq just before it. */
    synchronized long[] seek(long afterSeq) {
      int slot = (int) Math.min(indexed - 1L, afterSeq / INDEX_EVERY);
      if (slot < 0) return new long[] {0, 0};
      return new long[] {offsets[slot], (long) slot * INDEX_EVERY};
    }
  }

  public PerFileJournal(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
    this.dir = dataDir.resolve("streams");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  @Override
  public Future<Void> start(GenerationInfo info) {
    return vertx.executeBlocking(() -> {
      requireSafe(info.id());
      Path path = file(info.id());
      FileChannel ch;
      try {
        ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        throw new IllegalStateException("generation " + info.id() + " is already in the journal");
      }
      Open o = new Open(info, path, ch, 0, 0);
      try {
        write(o, line(startRecord(info)));
      } catch (IOException e) {
        ch.close();
        Files.deleteIfExists(path);
        throw e;
      }
      open.put(info.id(), o);
      return null;
    }, false);
  }

  @Override
  public Future<Void> append(String generationId, List<Chunk> chunks) {
    return vertx.executeBlocking(() -> {
      Open o = running(generationId);
      ByteArrayOutputStream out = new ByteArrayOutputStream(64 * chunks.size());
      long[] starts = new long[chunks.size()];
      for (int i = 0; i < chunks.size(); i++) {
        Chunk c = chunks.get(i);
        if (c.seq() != o.lastSeq + 1 + i) throw new IllegalArgumentException("chunk " + c.seq() + " out of order");
        starts[i] = o.size + out.size();
        out.writeBytes(line(chunkRecord(c)));
      }
      write(o, out.toByteArray());
      for (int i = 0; i < chunks.size(); i++) o.index(chunks.get(i).seq(), starts[i]);
      o.lastSeq = chunks.get(chunks.size() - 1).seq();
      return null;
    }, false);
  }

  @Override
  public Future<Void> end(String generationId, GenerationEnd end) {
    return vertx.executeBlocking(() -> {
      Open o = running(generationId);
      write(o, line(endRecord(end)));
      open.remove(generationId);
      try {
        o.channel.close();
      } catch (IOException e) {
        LOG.warn("closing stream log {}: {}", o.path, e.toString());
      }
      return null;
    }, false);
  }

  /** Writes whole records at the end of the file; on failure cuts the file back to its last whole record. */
  private static void write(Open o, byte[] bytes) throws IOException {
    synchronized (o) {
      if (o.broken) cutBack(o);
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      try {
        while (buf.hasRemaining()) o.channel.write(buf, o.size + buf.position());
      } catch (IOException e) {
        cutBack(o);
        throw e;
      }
      o.size += bytes.length;
    }
  }

  /** Drops a partial write; while that fails (the disk refuses even that) nothing more is written. */
  private static void cutBack(Open o) throws IOException {
    try {
      o.channel.truncate(o.size);
      o.broken = false;
    } catch (IOException e) {
      o.broken = true;
      throw e;
    }
  }

  private Open running(String generationId) {
    Open o = open.get(generationId);
    if (o == null) throw new IllegalStateException("generation " + generationId + " is not being written");
    return o;
  }

  @Override
  public Future<Optional<Slice>> read(String generationId, long afterSeq, int maxChars) {
    if (!SAFE_ID.matcher(generationId).matches()) return Future.succeededFuture(Optional.empty());
    return vertx.executeBlocking(() -> {
      Open o = open.get(generationId);
      if (o != null) return Optional.of(readOpen(o, afterSeq, maxChars));
      Path path = file(generationId);
      if (!Files.exists(path)) return Optional.<Slice>empty();
      return parse(Files.readAllBytes(path), afterSeq, maxChars);
    }, false);
  }

  /** Reads a running generation's whole records only, from the indexed chunk nearest the cursor. */
  private static Slice readOpen(Open o, long afterSeq, int maxChars) throws IOException {
    long size = o.size;
    long lastSeq = o.lastSeq;
    List<Chunk> chunks = new ArrayList<>();
    if (afterSeq < lastSeq && maxChars > 0) {
      long[] at = o.seek(afterSeq);
      try (FileChannel ch = FileChannel.open(o.path, StandardOpenOption.READ);
           InputStream in = Channels.newInputStream(ch.position(at[0]))) {
        LineReader lines = new LineReader(in, size - at[0]);
        int chars = 0;
        for (String line = lines.next(); line != null && chunks.size() < lastSeq - afterSeq; line = lines.next()) {
          JsonObject rec = new JsonObject(line);
          if (!"c".equals(rec.getString("t"))) continue;
          Chunk c = chunk(rec);
          if (c.seq() <= afterSeq) continue;
          if (!chunks.isEmpty() && chars + c.text().length() > maxChars) break;
          chunks.add(c);
          chars += c.text().length();
        }
      }
    }
    return new Slice(o.info, chunks, lastSeq, null);
  }

  /** Reads a whole file; a torn last line (a crash mid-write) is ignored. */
  private static Optional<Slice> parse(byte[] bytes, long afterSeq, int maxChars) {
    GenerationInfo info = null;
    List<Chunk> chunks = new ArrayList<>();
    long lastSeq = 0;
    int chars = 0;
    boolean full = false;
    GenerationEnd end = null;
    int from = 0;
    for (int nl = indexOf(bytes, from); nl >= 0; from = nl + 1, nl = indexOf(bytes, from)) {
      JsonObject rec;
      try {
        rec = new JsonObject(new String(bytes, from, nl - from, StandardCharsets.UTF_8));
      } catch (DecodeException torn) {
        break;
      }
      switch (rec.getString("t", "")) {
        case "start" -> info = info(rec);
        case "c" -> {
          Chunk c = chunk(rec);
          if (c.seq() != lastSeq + 1) continue;
          lastSeq = c.seq();
          if (c.seq() <= afterSeq || full || maxChars <= 0) continue;
          if (!chunks.isEmpty() && chars + c.text().length() > maxChars) {
            full = true;
            continue;
          }
          chunks.add(c);
          chars += c.text().length();
        }
        case "end" -> end = end(rec);
        default -> { }
      }
    }
    if (info == null) return Optional.empty();
    return Optional.of(new Slice(info, chunks, lastSeq, end));
  }

  private static int indexOf(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == '\n') return i;
    }
    return -1;
  }

  @Override
  public Future<List<Unfinished>> recover() {
    return vertx.executeBlocking(() -> {
      List<Unfinished> unfinished = new ArrayList<>();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jsonl")) {
        for (Path f : files) {
          if (endsWithEndRecord(f)) continue;
          long whole = dropTornTail(f);
          Optional<Slice> read = parse(Files.readAllBytes(f), Long.MAX_VALUE, 0);
          if (read.isEmpty() || read.get().end() != null) continue;
          Slice s = read.get();
          // Re-opened so that the end record lands after the chunks already there.
          FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE);
          open.put(s.info().id(), new Open(s.info(), f, ch, whole, s.lastSeq()));
          unfinished.add(new Unfinished(s.info(), s.lastSeq()));
        }
      }
      return unfinished;
    }, false);
  }

  /** True when the file's last line is an end record: a finished log, skipped without reading it all. */
  private static boolean endsWithEndRecord(Path f) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      int n = (int) Math.min(size, TAIL_BYTES);
      ByteBuffer buf = ByteBuffer.allocate(n);
      ch.read(buf, size - n);
      String tail = new String(buf.array(), 0, n, StandardCharsets.UTF_8);
      if (!tail.endsWith("\n")) return false;
      String last = tail.substring(tail.lastIndexOf('\n', tail.length() - 2) + 1).strip();
      try {
        return "end".equals(new JsonObject(last).getString("t"));
      } catch (DecodeException | ClassCastException notJson) {
        return false;
      }
    }
  }

  /**
   * Cuts a line the crash left half-written (every record ends with a newline, so anything after
   * the last one was never complete and never shown); answers the length of the whole records.
   */
  private static long dropTornTail(Path f) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    int keep = bytes.length;
    while (keep > 0 && bytes[keep - 1] != '\n') keep--;
    if (keep == bytes.length) return keep;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(keep);
    }
    LOG.info("stream log {}: dropped {} bytes of a half-written record", f.getFileName(), bytes.length - keep);
    return keep;
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    List<String> ids = generationIds.stream()
        .filter(id -> SAFE_ID.matcher(id).matches() && !open.containsKey(id)).toList();
    return vertx.executeBlocking(() -> {
      for (String id : ids) Files.deleteIfExists(file(id));
      return null;
    }, false);
  }

  @Override
  public Future<Void> ping() {
    return vertx.executeBlocking(() -> {
      Path probe = Files.createTempFile(dir, ".ping-", ".tmp");
      Files.delete(probe);
      return null;
    }, false);
  }

  @Override
  public Future<Void> close() {
    return vertx.executeBlocking(() -> {
      for (Open o : open.values()) {
        try {
          o.channel.close();
        } catch (IOException e) {
          LOG.warn("closing stream log {}: {}", o.path, e.toString());
        }
      }
      open.clear();
      return null;
    }, false);
  }

  private Path file(String id) {
    return dir.resolve(id + ".jsonl");
  }

  private static void requireSafe(String id) {
    if (!SAFE_ID.matcher(id).matches()) throw new IllegalArgumentException("unsafe generation id");
  }

  private static byte[] line(JsonObject record) {
    return (record.encode() + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject startRecord(GenerationInfo info) {
    return new JsonObject().put("t", "start").put("id", info.id()).put("conversationId", info.conversationId())
        .put("owner", info.owner()).put("model", info.model()).put("startedAt", info.startedAt());
  }

  private static GenerationInfo info(JsonObject o) {
    return new GenerationInfo(o.getString("id"), o.getString("conversationId"), o.getString("owner"),
        o.getString("model"), o.getLong("startedAt"));
  }

  private static JsonObject chunkRecord(Chunk c) {
    return new JsonObject().put("t", "c").put("seq", c.seq())
        .put("k", c.kind() == Chunk.Kind.TEXT ? "t" : "r").put("v", c.text());
  }

  private static Chunk chunk(JsonObject o) {
    return new Chunk(o.getLong("seq"), "r".equals(o.getString("k")) ? Chunk.Kind.REASONING : Chunk.Kind.TEXT,
        o.getString("v"));
  }

  private static JsonObject endRecord(GenerationEnd end) {
    JsonObject o = new JsonObject().put("t", "end").put("state", end.state().wire()).put("error", end.error())
        .put("endedAt", end.endedAt()).put("firstChunkAt", end.firstChunkAt());
    if (end.finishReason() != null) o.put("finishReason", end.finishReason().wire());
    if (end.usage().promptTokens() >= 0) o.put("promptTokens", end.usage().promptTokens());
    if (end.usage().completionTokens() >= 0) o.put("completionTokens", end.usage().completionTokens());
    return o;
  }

  private static GenerationEnd end(JsonObject o) {
    String reason = o.getString("finishReason");
    return new GenerationEnd(GenerationState.fromWire(o.getString("state")), o.getString("error"),
        reason == null ? null : FinishReason.fromWire(reason),
        new Usage(o.getLong("promptTokens", -1L), o.getLong("completionTokens", -1L)),
        o.getLong("endedAt", 0L), o.getLong("firstChunkAt", 0L));
  }

  /** Reads lines up to a byte limit (whole records only: a running file may be growing past it). */
  private static final class LineReader {
    private final InputStream in;
    private long remaining;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int len;

    LineReader(InputStream in, long limit) {
      this.in = in;
      this.remaining = limit;
    }

    String next() throws IOException {
      ByteArrayOutputStream line = null;
      while (true) {
        if (pos == len) {
          if (remaining <= 0) return null;
          len = in.read(buf, 0, (int) Math.min(buf.length, remaining));
          if (len <= 0) return null;
          remaining -= len;
          pos = 0;
        }
        int start = pos;
        while (pos < len && buf[pos] != '\n') pos++;
        if (pos < len) {
          String s;
          if (line == null) {
            s = new String(buf, start, pos - start, StandardCharsets.UTF_8);
          } else {
            line.write(buf, start, pos - start);
            s = line.toString(StandardCharsets.UTF_8);
          }
          pos++;
          return s;
        }
        if (line == null) line = new ByteArrayOutputStream();
        line.write(buf, start, pos - start);
      }
    }
  }
}
