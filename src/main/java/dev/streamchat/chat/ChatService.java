package dev.streamchat.chat;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.stream.Addresses;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationLog;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationWorker;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What a person can do with conversations, shared by the pages and the JSON API: it checks the
 * input, keeps the conversation and asks the generation worker (over the event bus) to answer.
 */
public final class ChatService {

  public static final String DEFAULT_TITLE = "New chat";
  private static final int TITLE_CHARS = 60;

  private final Vertx vertx;
  private final ChatStore chats;
  private final StreamStore streams;
  private final ModelRegistry models;
  private final int maxMessageChars;
  private final int maxAnswerTokens;
  private final HistoryWindow history;
  private final Quotas quotas;

  public ChatService(Vertx vertx, ChatStore chats, StreamStore streams, ModelRegistry models,
      int maxMessageChars, int maxAnswerTokens, HistoryWindow history, Quotas quotas) {
    this.vertx = vertx;
    this.chats = chats;
    this.streams = streams;
    this.models = models;
    this.maxMessageChars = maxMessageChars;
    this.maxAnswerTokens = maxAnswerTokens;
    this.history = history;
    this.quotas = quotas;
  }

  public Quotas quotas() {
    return quotas;
  }

  public ChatStore store() {
    return chats;
  }

  public ModelRegistry models() {
    return models;
  }

  /** What of a conversation the model is sent. */
  public HistoryWindow history() {
    return history;
  }

  public Future<Conversation> create(String owner, String title) {
    String t = title == null || title.isBlank() ? DEFAULT_TITLE : clip(title.strip(), 200);
    return chats.createConversation(owner, t, models.defaultModel());
  }

  public Future<Conversation> conversation(String owner, String id) {
    return chats.conversation(owner, id)
        .map(found -> found.orElseThrow(() -> Problem.notFound("conversation")));
  }

  /**
   * Adds the person's message and starts the answer; the future holds the generation's id.
   * {@code model} and {@code maxTokens} may be null (the conversation's model, the model's default).
   */
  public Future<String> send(String owner, String conversationId, String content, String model, Integer maxTokens) {
    return send(owner, conversationId, content, model, maxTokens, false);
  }

  /**
   * Sends the conversation's last message again as a new answer, with the conversation's model;
   * the exchange being retried is left out of what the model is sent.
   */
  public Future<String> retry(String owner, String conversationId) {
    return conversation(owner, conversationId).compose(conv -> chats.messages(conv.id())).compose(history -> {
      for (int i = history.size() - 1; i >= 0; i--) {
        if (history.get(i).role().equals("user")) {
          return send(owner, conversationId, history.get(i).content(), null, null, true);
        }
      }
      return Future.failedFuture(Problem.badRequest("There is no message to retry."));
    });
  }

  private Future<String> send(String owner, String conversationId, String content, String model, Integer maxTokens,
      boolean retry) {
    String text;
    Quotas.Slot slot;
    try {
      text = checkMessage(content);
      if (maxTokens != null && (maxTokens < 1 || maxTokens > maxAnswerTokens)) {
        throw Problem.badRequest("maxTokens must be from 1 to " + maxAnswerTokens);
      }
      if (model != null && models.resolve(model).isEmpty()) {
        throw Problem.badRequest("unknown model: " + clip(model, 100));
      }
      quotas.countMessage(owner);
      slot = quotas.reserveGeneration(owner);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    return startAnswer(owner, conversationId, text, model, maxTokens, retry).onComplete(ar -> slot.release());
  }

  private Future<String> startAnswer(String owner, String conversationId, String text, String model, Integer maxTokens,
      boolean retry) {
    return conversation(owner, conversationId).compose(conv -> {
      if (streams.running().stream().anyMatch(log -> log.info().conversationId().equals(conv.id()))) {
        return Future.failedFuture(new Problem(409, "An answer is still being written in this conversation; stop it first."));
      }
      return chats.messages(conv.id()).compose(this::withFinalText).compose(history -> {
        String modelId = model != null ? model
            : models.resolve(conv.model()).isPresent() ? conv.model() : models.defaultModel();
        GenerationInfo info = new GenerationInfo(UUID.randomUUID().toString(), conv.id(), owner, modelId,
            System.currentTimeMillis());
        List<Message> before = retry ? history.subList(0, lastUserIndex(history)) : history;
        List<ChatMessage> turns = new ArrayList<>(HistoryWindow.turns(before));
        turns.add(new ChatMessage("user", text));
        Future<Void> titled = history.isEmpty() && conv.title().equals(DEFAULT_TITLE)
            ? chats.renameConversation(owner, conv.id(), title(text)).mapEmpty() : Future.succeededFuture();
        return titled
            .compose(v -> chats.addExchange(conv.id(), text, info.id(), modelId))
            .compose(v -> start(info, maxTokens == null ? 0 : maxTokens, this.history.fit(turns).messages()));
      });
    });
  }

  /**
   * The conversation's messages with final text. An answer that has just ended may not be saved
   * with its message yet (that happens right after its end event): its text is read from its log.
   */
  private Future<List<Message>> withFinalText(List<Message> messages) {
    List<Future<Message>> out = new ArrayList<>();
    for (Message m : messages) {
      if (m.generationId() != null && "running".equals(m.state())) {
        out.add(streams.find(m.generationId()).map(log -> new Message(m.id(), m.conversationId(), m.seq(),
                m.role(), log.text(), log.reasoning(), m.generationId(), log.state().wire(), log.error(), m.model(),
                m.createdAt()))
            .otherwise(m));
      } else {
        out.add(Future.succeededFuture(m));
      }
    }
    return Future.all(out).map(all -> all.list());
  }

  private static int lastUserIndex(List<Message> history) {
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).role().equals("user")) return i;
    }
    return history.size();
  }

  private Future<String> start(GenerationInfo info, int maxTokens, List<ChatMessage> turns) {
    return vertx.eventBus().<JsonObject>request(Addresses.START, GenerationWorker.startRequest(info, maxTokens, turns))
        .map(reply -> info.id())
        .recover(err -> {
          String why = err instanceof ReplyException re && re.failureCode() == GenerationWorker.UNKNOWN_MODEL
              ? "The model " + info.model() + " is not available now." : "The answer could not be started.";
          return chats.saveAnswer(info.id(), "", null, GenerationState.FAILED.wire(), why)
              .transform(ignored -> Future.failedFuture(new Problem(503, why)));
        });
  }

  /** The generation, if the owner may see it. */
  public Future<GenerationLog> generation(String owner, String generationId) {
    return streams.find(generationId)
        .recover(err -> Future.failedFuture(err instanceof StreamStore.NotFound ? Problem.notFound("generation") : err))
        .map(log -> {
          if (!log.info().owner().equals(owner)) throw Problem.notFound("generation");
          return log;
        });
  }

  /** Stops a generation wherever it runs; answers its state, which is final unless it had ended. */
  public Future<GenerationState> stop(String owner, String generationId) {
    return generation(owner, generationId).compose(this::stop);
  }

  /** Stops any session's generation: the admin's Stop, with no owner check. */
  public Future<GenerationState> stopAny(String generationId) {
    return streams.find(generationId)
        .recover(err -> Future.failedFuture(err instanceof StreamStore.NotFound ? Problem.notFound("generation") : err))
        .compose(this::stop);
  }

  private Future<GenerationState> stop(GenerationLog log) {
    if (log.state().isFinal()) return Future.succeededFuture(log.state());
    return vertx.eventBus().<JsonObject>request(Addresses.stop(log.id()), null)
        .map(reply -> GenerationState.fromWire(reply.body().getString("state")))
        .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? Future.succeededFuture(log.state()) : Future.failedFuture(err));
  }

  private String checkMessage(String content) {
    if (content == null || content.isBlank()) throw Problem.badRequest("The message is empty.");
    if (content.length() > maxMessageChars) {
      throw new Problem(413, "The message is too long: at most " + maxMessageChars + " characters.");
    }
    return content.strip();
  }

  static String title(String firstMessage) {
    String oneLine = firstMessage.strip().replaceAll("\\s+", " ");
    return oneLine.length() <= TITLE_CHARS ? oneLine : oneLine.substring(0, TITLE_CHARS - 1).strip() + "…";
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
