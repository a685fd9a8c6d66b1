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
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upgrade from the previous release, which kept one JSON-lines file per generation under
 * {@code <data dir>/streams} (a start line, a line per chunk, an end line). On start each file is
 * copied into the journal and then deleted, so the import runs once; a file whose copy was cut
 * short by a crash is finished at the next start from where the journal stops. A log without an
 * end record (the old server was killed mid-answer) gets the end recovery gives any answer the
 * last process left running; a half-written last line is dropped, as the old recovery did.
 */
public final class LegacyStreamLogs {

  private static final Logger LOG = LoggerFactory.getLogger(LegacyStreamLogs.class);
  /** Chunks per journal append while importing, so one write stays well under the journal's batch bound. */
  private static final int CHUNKS_PER_APPEND = 512;

  private LegacyStreamLogs() {
  }

  /**
   * Imports every {@code *.jsonl} under {@code streamsDir} into {@code journal}, one file after
   * another, and answers how many were imported. Fails (leaving the rest for the next start) when
   * a file cannot be read or the journal cannot write.
   */
  public static Future<Integer> importInto(Vertx vertx, Path streamsDir, Journal journal) {
    return vertx.executeBlocking(() -> list(streamsDir), false).compose(files -> {
      if (!Files.isDirectory(streamsDir)) return Future.succeededFuture(0);
      AtomicInteger unfinished = new AtomicInteger();
      Future<Integer> done = Future.succeededFuture(0);
      for (Path f : files) {
        done = done.compose(n -> importOne(vertx, f, journal).map(cut -> {
          if (cut) unfinished.incrementAndGet();
          return n + 1;
        }));
      }
      return done.compose(n -> vertx.executeBlocking(() -> {
        if (n > 0) LOG.info("imported {} stream log(s) of the previous release from {} into the journal ({} left unfinished by "
            + "the old server, now interrupted); the old files are deleted", n, streamsDir, unfinished.get());
        try (DirectoryStream<Path> rest = Files.newDirectoryStream(streamsDir)) {
          if (!rest.iterator().hasNext()) Files.delete(streamsDir);
        }
        return n;
      }, false));
    });
  }

  private static List<Path> list(Path streamsDir) throws Exception {
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(streamsDir)) return files;
    try (DirectoryStream<Path> found = Files.newDirectoryStream(streamsDir, "*.jsonl")) {
      found.forEach(files::add);
    }
    files.sort(null);
    return files;
  }

  /** Imports one log and deletes it; answers whether it had no end record (it ends interrupted). */
  private static Future<Boolean> importOne(Vertx vertx, Path file, Journal journal) {
    return vertx.executeBlocking(() -> parse(Files.readAllBytes(file)), false).compose(parsed -> {
      if (parsed.isEmpty()) {
        LOG.warn("stream log {} has no start record (nothing of it was ever shown); deleting it", file.getFileName());
        return deleteFile(vertx, file).map(false);
      }
      Journal.Slice old = parsed.get();
      String id = old.info().id();
      GenerationEnd end = old.end() != null ? old.end() : GenerationEnd.interruptedByRestart(System.currentTimeMillis());
      return journal.read(id, Long.MAX_VALUE, 0)
          .compose(there -> {
            if (there.isPresent() && there.get().end() != null) return Future.<Void>succeededFuture();
            Future<Long> stored = there.isPresent() ? Future.succeededFuture(there.get().lastSeq())
                : journal.start(old.info()).map(0L);
            return stored.compose(n -> appendFrom(journal, id, old.chunks(), n.intValue()))
                .compose(v -> journal.end(id, end));
          })
          .compose(v -> deleteFile(vertx, file))
          .map(old.end() == null)
          .recover(err -> Future.<Boolean>failedFuture(new IllegalStateException(
              "could not import the stream log " + file + " into the journal: " + err.getMessage(), err)));
    });
  }

  /** Appends the chunks the journal does not have yet (from index {@code from}), a batch at a time. */
  private static Future<Void> appendFrom(Journal journal, String id, List<Chunk> chunks, int from) {
    if (from >= chunks.size()) return Future.succeededFuture();
    int to = Math.min(chunks.size(), from + CHUNKS_PER_APPEND);
    return journal.append(id, chunks.subList(from, to)).compose(v -> appendFrom(journal, id, chunks, to));
  }

  private static Future<Void> deleteFile(Vertx vertx, Path file) {
    return vertx.executeBlocking(() -> {
      Files.delete(file);
      return null;
    }, false);
  }

  /**
   * Reads a whole log: its start record, every chunk in order and its end record (null when
   * none). Only lines that end with a newline count: a torn last line (a crash mid-write) was
   * never shown and is dropped.
   */
  static Optional<Journal.Slice> parse(byte[] bytes) {
    GenerationInfo info = null;
    List<Chunk> chunks = new ArrayList<>();
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
          if (c.seq() == chunks.size() + 1) chunks.add(c);
        }
        case "end" -> end = end(rec);
        default -> { }
      }
    }
    if (info == null) return Optional.empty();
    return Optional.of(new Journal.Slice(info, chunks, chunks.size(), end));
  }

  private static int indexOf(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == '\n') return i;
    }
    return -1;
  }

  private static GenerationInfo info(JsonObject o) {
    return new GenerationInfo(o.getString("id"), o.getString("conversationId"), o.getString("owner"),
        o.getString("model"), o.getLong("startedAt"));
  }

  private static Chunk chunk(JsonObject o) {
    return new Chunk(o.getLong("seq"), "r".equals(o.getString("k")) ? Chunk.Kind.REASONING : Chunk.Kind.TEXT,
        o.getString("v"));
  }

  private static GenerationEnd end(JsonObject o) {
    String reason = o.getString("finishReason");
    return new GenerationEnd(GenerationState.fromWire(o.getString("state")), o.getString("error"),
        reason == null ? null : FinishReason.fromWire(reason),
        new Usage(o.getLong("promptTokens", -1L), o.getLong("completionTokens", -1L)),
        o.getLong("endedAt", 0L), o.getLong("firstChunkAt", 0L));
  }
}
