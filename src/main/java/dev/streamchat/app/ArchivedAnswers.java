package dev.streamchat.app;

import dev.streamchat.chat.ChatStore;
import dev.streamchat.chat.Message;
import dev.streamchat.model.Usage;
import dev.streamchat.stream.Answer;
import dev.streamchat.stream.Chunk;
import dev.streamchat.stream.GenerationEnd;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A shared stream store whose ended logs expire, backed by the database: a generation the store
 * no longer holds is served from its saved answer, as a log of the reasoning then the text in
 * pieces of {@value #PIECE_CHARS} characters (a cursor of the original numbering beyond it gets
 * the end). Its owner is left blank, so only the conversation's owner reaches it.
 */
final class ArchivedAnswers implements StreamStore {

  static final int PIECE_CHARS = 8192;

  private final StreamStore live;
  private final ChatStore chats;

  ArchivedAnswers(StreamStore live, ChatStore chats) {
    this.live = live;
    this.chats = chats;
  }

  private record Archived(GenerationStatus status, List<Chunk> chunks) {
  }

  private Future<Archived> archived(String id) {
    return chats.answerOf(id).map(found -> {
      Message m = found.filter(a -> a.state() != null && !a.state().equals(GenerationState.RUNNING.wire()))
          .orElseThrow(() -> new NotFound(id));
      List<Chunk> chunks = new ArrayList<>();
      split(m.reasoning(), Chunk.Kind.REASONING, chunks);
      split(m.content(), Chunk.Kind.TEXT, chunks);
      GenerationInfo info = new GenerationInfo(id, m.conversationId(), "", m.model(), m.createdAt());
      GenerationEnd end = new GenerationEnd(GenerationState.fromWire(m.state()), m.error(), null, Usage.UNKNOWN,
          m.createdAt(), 0);
      return new Archived(new GenerationStatus(info, chunks.size(), 0, 0, end), chunks);
    });
  }

  private static void split(String text, Chunk.Kind kind, List<Chunk> into) {
    if (text == null) return;
    for (int i = 0; i < text.length(); i += PIECE_CHARS) {
      into.add(new Chunk(into.size() + 1, kind, text.substring(i, Math.min(text.length(), i + PIECE_CHARS))));
    }
  }

  private static <T> Future<T> orArchived(Future<T> fromLive, java.util.function.Supplier<Future<T>> fromDatabase) {
    return fromLive.recover(err -> err instanceof NotFound ? fromDatabase.get() : Future.failedFuture(err));
  }

  @Override
  public Future<GenerationStatus> status(String id) {
    return orArchived(live.status(id), () -> archived(id).map(Archived::status));
  }

  @Override
  public Future<Slice> read(String id, long afterSeq, int maxChars) {
    return orArchived(live.read(id, afterSeq, maxChars), () -> archived(id).map(a -> new Slice(a.status(),
        a.chunks().subList((int) Math.max(0, Math.min(afterSeq, a.chunks().size())), a.chunks().size()))));
  }

  @Override
  public Future<Answer> answer(String id) {
    return orArchived(live.answer(id), () -> chats.answerOf(id).compose(m -> archived(id).map(a ->
        new Answer(a.status(), m.get().content() == null ? "" : m.get().content(),
            m.get().reasoning() == null ? "" : m.get().reasoning()))));
  }

  @Override
  public Future<Void> start(GenerationInfo info) {
    return live.start(info);
  }

  @Override
  public Future<Void> resume(String id) {
    return live.resume(id);
  }

  @Override
  public boolean handsOver() {
    return live.handsOver();
  }

  @Override
  public Future<Void> handOver(String id) {
    return live.handOver(id);
  }

  @Override
  public Future<Long> append(String id, List<Chunk> chunks) {
    return live.append(id, chunks);
  }

  @Override
  public Future<Void> tellHeld(String id, boolean holding) {
    return live.tellHeld(id, holding);
  }

  @Override
  public Future<GenerationStatus> finish(String id, GenerationEnd end) {
    return live.finish(id, end);
  }

  @Override
  public List<GenerationStatus> running() {
    return live.running();
  }

  @Override
  public Optional<String> runsOn(String id) {
    return live.runsOn(id);
  }

  @Override
  public Future<List<GenerationStatus>> recover() {
    return live.recover();
  }

  @Override
  public Future<Void> delete(Collection<String> ids) {
    return live.delete(ids);
  }

  @Override
  public Future<Void> ping() {
    return live.ping();
  }

  @Override
  public Future<Void> close() {
    return live.close();
  }
}
