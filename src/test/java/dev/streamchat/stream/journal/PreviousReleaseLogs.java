package dev.streamchat.stream.journal;

import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Stream logs as the previous release wrote them, one per answer, for the upgrade tests. */
public final class PreviousReleaseLogs {

  private PreviousReleaseLogs() {
  }

  /** The file {@code streams/<id>.jsonl}: a start line, a line per chunk, an end line when {@code end} is not null. */
  public static String log(GenerationInfo info, List<Chunk> chunks, GenerationEnd end) {
    StringBuilder log = new StringBuilder(new JsonObject().put("t", "start").put("id", info.id())
        .put("conversationId", info.conversationId()).put("owner", info.owner()).put("model", info.model())
        .put("startedAt", info.startedAt()).encode()).append('\n');
    for (Chunk c : chunks) {
      log.append(new JsonObject().put("t", "c").put("seq", c.seq()).put("k", c.kind() == Chunk.Kind.TEXT ? "t" : "r")
          .put("v", c.text()).encode()).append('\n');
    }
    if (end != null) {
      JsonObject e = new JsonObject().put("t", "end").put("state", end.state().wire()).put("error", end.error())
          .put("endedAt", end.endedAt()).put("firstChunkAt", end.firstChunkAt());
      if (end.finishReason() != null) e.put("finishReason", end.finishReason().wire());
      if (end.usage().promptTokens() >= 0) e.put("promptTokens", end.usage().promptTokens());
      if (end.usage().completionTokens() >= 0) e.put("completionTokens", end.usage().completionTokens());
      log.append(e.encode()).append('\n');
    }
    return log.toString();
  }
}
