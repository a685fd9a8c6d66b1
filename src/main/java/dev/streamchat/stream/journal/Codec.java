package dev.streamchat.stream.journal;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bodies of the journal's records. After the type byte each names its generation by number
 * ({@code genNo}, given by the start record), never by id: a chunk record costs a few bytes more
 * than its text. A chunk record lists its chunks' byte lengths (and kind) before their text, so a
 * read can skip to the chunk after its cursor and replay stays exact after compaction.
 */
final class Codec {
  private Codec() {
  }

  static void segmentHeader(Records.Writer w, long segmentNo, long nextGenNo, long supersedesThrough) {
    w.begin(Records.SEGMENT);
    w.putInt(Records.MAGIC);
    w.putVarLong(segmentNo);
    w.putVarLong(nextGenNo);
    w.putSigned(supersedesThrough);
    w.finish();
  }

  /** A segment's first record, or null when the bytes are not one. */
  record Header(long segmentNo, long nextGenNo, long supersedesThrough) {
    static Header read(Records.Reader r) {
      if (r.type() != Records.SEGMENT || r.getInt() != Records.MAGIC) return null;
      return new Header(r.getVarLong(), r.getVarLong(), r.getSigned());
    }
  }

  static void start(Records.Writer w, long genNo, GenerationInfo info) {
    w.begin(Records.START);
    w.putVarLong(genNo);
    w.putString(info.id());
    w.putString(info.conversationId());
    w.putString(info.owner());
    w.putString(info.model());
    w.putSigned(info.startedAt());
    w.putString(info.responseFormat() == null ? null : info.responseFormat().toJson().encode());
  }

  static GenerationInfo startInfo(Records.Reader r) {
    GenerationInfo info = new GenerationInfo(r.getString(), r.getString(), r.getString(), r.getString(), r.getSigned());
    String format = r.getString();
    return format == null ? info : new GenerationInfo(info.id(), info.conversationId(), info.owner(), info.model(),
        info.startedAt(), ResponseFormat.fromJson(new JsonObject(format)));
  }

  static void end(Records.Writer w, long genNo, GenerationEnd end) {
    w.begin(Records.END);
    w.putVarLong(genNo);
    w.putString(end.state().wire());
    w.putString(end.error());
    w.putString(end.finishReason() == null ? null : end.finishReason().wire());
    w.putSigned(end.usage().promptTokens());
    w.putSigned(end.usage().completionTokens());
    w.putSigned(end.endedAt());
    w.putSigned(end.firstChunkAt());
  }

  static GenerationEnd end(Records.Reader r) {
    GenerationState state = GenerationState.fromWire(r.getString());
    String error = r.getString();
    String reason = r.getString();
    Usage usage = new Usage(r.getSigned(), r.getSigned());
    return new GenerationEnd(state, error, reason == null ? null : FinishReason.fromWire(reason), usage,
        r.getSigned(), r.getSigned());
  }

  static void delete(Records.Writer w, long genNo) {
    w.begin(Records.DELETE);
    w.putVarLong(genNo);
  }

  /** Begins a chunk record; the caller adds {@link #chunkLength}s, then the texts, then finishes. */
  static void chunksHeader(Records.Writer w, long genNo, long firstSeq, int count) {
    w.begin(Records.CHUNKS);
    w.putVarLong(genNo);
    w.putVarLong(firstSeq);
    w.putVarLong(count);
  }

  static long chunkLength(int bytes, boolean reasoning) {
    return ((long) bytes << 1) | (reasoning ? 1 : 0);
  }

  /** A chunk record's table: its chunks' kinds and byte lengths, and where their text starts. */
  static final class Chunks {
    final long firstSeq;
    final int count;
    final long[] lengths;
    final byte[] buf;
    final int textOff;

    private Chunks(long firstSeq, int count, long[] lengths, byte[] buf, int textOff) {
      this.firstSeq = firstSeq;
      this.count = count;
      this.lengths = lengths;
      this.buf = buf;
      this.textOff = textOff;
    }

    /** Reads the table of a chunk record whose type and generation number were read. */
    static Chunks read(Records.Reader r) {
      long first = r.getVarLong();
      long n = r.getVarLong();
      if (first < 1 || n < 1 || n > r.end - r.pos) throw new IllegalStateException("malformed chunk record");
      long[] lengths = new long[(int) n];
      long total = 0;
      for (int i = 0; i < n; i++) {
        lengths[i] = r.getVarLong();
        total += lengths[i] >>> 1;
      }
      if (r.pos + total != r.end) throw new IllegalStateException("chunk lengths do not match their record");
      return new Chunks(first, (int) n, lengths, r.b, r.pos);
    }

    long lastSeq() {
      return firstSeq + count - 1;
    }

    int bytes(int i) {
      return (int) (lengths[i] >>> 1);
    }

    boolean reasoning(int i) {
      return (lengths[i] & 1) != 0;
    }

    /** The chunks numbered above {@code after}, until {@code budget} chars are used (at least one). */
    List<Chunk> after(long after, long budget, boolean atLeastOne) {
      List<Chunk> out = new ArrayList<>();
      int off = textOff;
      for (int i = 0; i < count; i++) {
        int len = bytes(i);
        long seq = firstSeq + i;
        if (seq > after) {
          String text = new String(buf, off, len, StandardCharsets.UTF_8);
          if (text.length() > budget && !(atLeastOne && out.isEmpty())) break;
          out.add(new Chunk(seq, reasoning(i) ? Chunk.Kind.REASONING : Chunk.Kind.TEXT, text));
          budget -= text.length();
        }
        off += len;
      }
      return out;
    }
  }
}
