package dev.streamchat.stream.redis;

import dev.streamchat.model.FinishReason;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a generation's values are written in Redis: its status as the fields of a hash (also the
 * end event's body), a batch of chunks as one stream entry ({@code f} first seq, {@code k} one
 * letter per chunk, {@code t} the texts as a JSON array).
 */
final class RedisRecords {

  static final String INSTANCE = "instance";
  static final String LAST_SEQ = "lastSeq";
  static final String FIRST_CHUNK_AT = "firstChunkAt";
  static final String LAST_CHUNK_AT = "lastChunkAt";
  static final String STATE = "state";
  static final String RESPONSE_FORMAT = "responseFormat";

  private RedisRecords() {
  }

  /** The fields a generation's hash starts with. */
  static Map<String, String> infoFields(GenerationInfo info, String instance) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("id", info.id());
    f.put("conversationId", info.conversationId());
    f.put("owner", info.owner());
    f.put("model", info.model());
    f.put("startedAt", Long.toString(info.startedAt()));
    // A JSON answer followed from another instance is still judged and shown as JSON there.
    if (info.responseFormat() != null) f.put(RESPONSE_FORMAT, info.responseFormat().toJson().encode());
    f.put(INSTANCE, instance);
    f.put(LAST_SEQ, "0");
    return f;
  }

  /** The fields the end adds. */
  static Map<String, String> endFields(GenerationEnd end, long lastSeq) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put(STATE, end.state().wire());
    if (end.error() != null) f.put("error", end.error());
    if (end.finishReason() != null) f.put("finishReason", end.finishReason().wire());
    f.put("promptTokens", Long.toString(end.usage().promptTokens()));
    f.put("completionTokens", Long.toString(end.usage().completionTokens()));
    f.put("endedAt", Long.toString(end.endedAt()));
    f.put("endFirstChunkAt", Long.toString(end.firstChunkAt()));
    f.put(LAST_SEQ, Long.toString(lastSeq));
    return f;
  }

  /** Every field of a status, as its hash holds it once ended. */
  static Map<String, String> statusFields(GenerationStatus s, String instance) {
    Map<String, String> f = infoFields(s.info(), instance);
    f.put(LAST_SEQ, Long.toString(s.lastSeq()));
    f.put(FIRST_CHUNK_AT, Long.toString(s.firstChunkAt()));
    f.put(LAST_CHUNK_AT, Long.toString(s.lastChunkAt()));
    if (s.end() != null) f.putAll(endFields(s.end(), s.lastSeq()));
    return f;
  }

  /** The status a hash holds; null when the hash is empty (no such generation). */
  static GenerationStatus status(Map<String, String> f) {
    if (f.isEmpty() || !f.containsKey("id")) return null;
    String format = f.get(RESPONSE_FORMAT);
    GenerationInfo info = new GenerationInfo(f.get("id"), f.get("conversationId"), f.get("owner"), f.get("model"),
        number(f, "startedAt"), format == null ? null : ResponseFormat.fromJson(new JsonObject(format)));
    GenerationEnd end = null;
    if (f.containsKey(STATE)) {
      String reason = f.get("finishReason");
      end = new GenerationEnd(GenerationState.fromWire(f.get(STATE)), f.get("error"),
          reason == null ? null : FinishReason.fromWire(reason),
          new Usage(number(f, "promptTokens"), number(f, "completionTokens")), number(f, "endedAt"),
          number(f, "endFirstChunkAt"));
    }
    return new GenerationStatus(info, number(f, LAST_SEQ), number(f, FIRST_CHUNK_AT), number(f, LAST_CHUNK_AT), end);
  }

  private static long number(Map<String, String> f, String name) {
    String v = f.get(name);
    return v == null ? 0 : Long.parseLong(v);
  }

  /** One letter per chunk: t for answer text, r for reasoning. */
  static String kinds(List<Chunk> chunks) {
    StringBuilder k = new StringBuilder(chunks.size());
    for (Chunk c : chunks) k.append(c.kind() == Chunk.Kind.TEXT ? 't' : 'r');
    return k.toString();
  }

  static String texts(List<Chunk> chunks) {
    JsonArray t = new JsonArray(new ArrayList<>(chunks.size()));
    for (Chunk c : chunks) t.add(c.text());
    return t.encode();
  }

  /** The chunks of one entry, numbered from {@code firstSeq}. */
  static List<Chunk> chunks(long firstSeq, String kinds, JsonArray texts) {
    List<Chunk> out = new ArrayList<>(kinds.length());
    for (int i = 0; i < kinds.length(); i++) {
      out.add(new Chunk(firstSeq + i, kinds.charAt(i) == 'r' ? Chunk.Kind.REASONING : Chunk.Kind.TEXT, texts.getString(i)));
    }
    return out;
  }
}
