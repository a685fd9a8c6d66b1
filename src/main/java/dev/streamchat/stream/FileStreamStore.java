package dev.streamchat.stream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded stream store: one append-only JSON-lines file per generation under
 * {@code <data dir>/streams}. A line is written (to the OS, which keeps it through a crash of the
 * process) before the chunk it holds is visible to any viewer. Running logs stay in memory;
 * ended ones are kept in a small cache and read back from their file when asked for again.
 */
public final class FileStreamStore implements StreamStore {

  private static final Logger LOG = LoggerFactory.getLogger(FileStreamStore.class);
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");
  private static final int ENDED_CACHE_SIZE = 256;
  /** Enough of a file's end to hold its end record. */
  private static final int TAIL_BYTES = 4096;

  private final Vertx vertx;
  private final Path dir;
  private final Map<String, GenerationLog> running = new ConcurrentHashMap<>();
  private final Map<String, GenerationLog> ended =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GenerationLog> eldest) {
          return size() > ENDED_CACHE_SIZE;
        }
      };

  public FileStreamStore(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
    this.dir = dataDir.resolve("streams");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  @Override
  public GenerationLog start(GenerationInfo info) {
    requireSafe(info.id());
    FileJournal journal = new FileJournal(file(info.id()));
    journal.write(new JsonObject()
        .put("t", "start").put("id", info.id()).put("conversationId", info.conversationId())
        .put("owner", info.owner()).put("model", info.model()).put("startedAt", info.startedAt()));
    GenerationLog log = new GenerationLog(info, journal);
    running.put(info.id(), log);
    return log;
  }

  @Override
  public Future<GenerationLog> find(String id) {
    if (!SAFE_ID.matcher(id).matches()) return Future.failedFuture(new NotFound(id));
    GenerationLog live = running.get(id);
    if (live != null) return Future.succeededFuture(live);
    synchronized (ended) {
      GenerationLog cached = ended.get(id);
      if (cached != null) return Future.succeededFuture(cached);
    }
    return vertx.executeBlocking(() -> {
      GenerationLog log = read(file(id)).orElseThrow(() -> new NotFound(id));
      synchronized (ended) {
        ended.put(id, log);
      }
      return log;
    }, false);
  }

  @Override
  public Collection<GenerationLog> running() {
    return List.copyOf(running.values());
  }

  @Override
  public List<GenerationLog> recoverInterrupted() {
    List<GenerationLog> interrupted = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jsonl")) {
      for (Path f : files) {
        if (endsWithEndRecord(f)) continue;
        dropTornTail(f);
        read(f).filter(log -> !log.state().isFinal()).ifPresent(log -> {
          // Re-open the file so the end record lands after the chunks already there.
          GenerationLog reopened = new GenerationLog(log.info(), new FileJournal(f));
          log.after(0, Integer.MAX_VALUE).chunks().forEach(reopened::restore);
          reopened.finish(GenerationState.INTERRUPTED, "The server stopped while this answer was being written.");
          interrupted.add(reopened);
        });
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!interrupted.isEmpty()) {
      LOG.info("marked {} generation(s) interrupted by the last shutdown", interrupted.size());
    }
    return interrupted;
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
   * the last one was never complete and never shown); the end record then starts a line of its own.
   */
  private static void dropTornTail(Path f) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    int keep = bytes.length;
    while (keep > 0 && bytes[keep - 1] != '\n') keep--;
    if (keep == bytes.length) return;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(keep);
    }
    LOG.info("stream log {}: dropped {} bytes of a half-written record", f.getFileName(), bytes.length - keep);
  }

  @Override
  public Future<Void> delete(Collection<String> generationIds) {
    List<String> ended = generationIds.stream()
        .filter(id -> SAFE_ID.matcher(id).matches() && !running.containsKey(id)).toList();
    return vertx.executeBlocking(() -> {
      for (String id : ended) {
        synchronized (this.ended) {
          this.ended.remove(id);
        }
        Files.deleteIfExists(file(id));
      }
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
  public void close() {
    running.values().forEach(log ->
        log.finish(GenerationState.INTERRUPTED, "The server was shut down while this answer was being written."));
  }

  private Path file(String id) {
    return dir.resolve(id + ".jsonl");
  }

  private static void requireSafe(String id) {
    if (!SAFE_ID.matcher(id).matches()) throw new IllegalArgumentException("unsafe generation id");
  }

  /** Reads a log back; a torn last line (a crash mid-write) is ignored. */
  private java.util.Optional<GenerationLog> read(Path f) {
    if (!Files.exists(f)) return java.util.Optional.empty();
    List<String> lines;
    try {
      lines = Files.readAllLines(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    GenerationLog log = null;
    for (String line : lines) {
      JsonObject o;
      try {
        o = new JsonObject(line);
      } catch (DecodeException torn) {
        break;
      }
      switch (o.getString("t", "")) {
        case "start" -> log = new GenerationLog(new GenerationInfo(o.getString("id"),
            o.getString("conversationId"), o.getString("owner"), o.getString("model"),
            o.getLong("startedAt")), GenerationLog.Journal.NONE);
        case "c" -> {
          if (log != null) {
            log.restore(new Chunk(o.getLong("seq"),
                "r".equals(o.getString("k")) ? Chunk.Kind.REASONING : Chunk.Kind.TEXT, o.getString("v")));
          }
        }
        case "end" -> {
          if (log != null) {
            log.restoreEnd(GenerationState.fromWire(o.getString("state")), o.getString("error"),
                o.getLong("endedAt", 0L), o.getLong("firstChunkAt", 0L));
          }
        }
        default -> { }
      }
    }
    return java.util.Optional.ofNullable(log);
  }

  /** Appends JSON lines to one generation's file; closes it at the end record. */
  private final class FileJournal implements GenerationLog.Journal {
    private final Path path;
    private FileChannel channel;

    FileJournal(Path path) {
      this.path = path;
      try {
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open stream log " + path, e);
      }
    }

    @Override
    public void chunk(Chunk c) {
      write(new JsonObject().put("t", "c").put("seq", c.seq())
          .put("k", c.kind() == Chunk.Kind.TEXT ? "t" : "r").put("v", c.text()));
    }

    @Override
    public void end(GenerationLog log) {
      write(new JsonObject().put("t", "end").put("state", log.state().wire())
          .put("error", log.error()).put("endedAt", log.endedAt())
          .put("firstChunkAt", log.firstChunkAt()));
      try {
        channel.close();
      } catch (IOException e) {
        LOG.warn("closing stream log {}: {}", path, e.toString());
      }
      running.remove(log.id());
      synchronized (ended) {
        ended.put(log.id(), log);
      }
    }

    void write(JsonObject record) {
      ByteBuffer buf = ByteBuffer.wrap((record.encode() + "\n").getBytes(StandardCharsets.UTF_8));
      try {
        while (buf.hasRemaining()) channel.write(buf);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to stream log " + path, e);
      }
    }
  }
}
