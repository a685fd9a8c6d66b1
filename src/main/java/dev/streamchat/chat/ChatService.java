package dev.streamchat.chat;

import dev.streamchat.model.ChatMessage;
import dev.streamchat.model.ModelRegistry;
import dev.streamchat.stream.Answer;
import dev.streamchat.model.ResponseFormat;
import dev.streamchat.stream.GenerationInfo;
import dev.streamchat.stream.GenerationRequest;
import dev.streamchat.stream.GenerationState;
import dev.streamchat.stream.GenerationStatus;
import dev.streamchat.stream.Generations;
import dev.streamchat.stream.StreamStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What a person can do with conversations, shared by the pages and the JSON API: it checks the
 * input, keeps the conversation and asks {@link Generations} to answer.
 */
public final class ChatService {

  public static final String DEFAULT_TITLE = "New chat";
  /** What Continue asks the model after its partial answer. */
  static final String CONTINUE_INSTRUCTION = GenerationRequest.CONTINUE_INSTRUCTION;
  private static final int TITLE_CHARS = 60;
  private static final int MAX_TITLE_CHARS = 200;

  private final ChatStore chats;
  private final Generations generations;
  private final ModelRegistry models;
  private final int maxMessageChars;
  private final int maxAnswerTokens;
  private final HistoryWindow history;
  private final Quotas quotas;
  private final StorageLimits limits;
  private final MessageCheck messageCheck;

  public ChatService(ChatStore chats, Generations generations, ModelRegistry models,
      int maxMessageChars, int maxAnswerTokens, HistoryWindow history, Quotas quotas, StorageLimits limits) {
    this(chats, generations, models, maxMessageChars, maxAnswerTokens, history, quotas, limits, MessageCheck.NONE);
  }

  /** {@code messageCheck} judges each message a person sends before any model is asked. */
  public ChatService(ChatStore chats, Generations generations, ModelRegistry models, int maxMessageChars,
      int maxAnswerTokens, HistoryWindow history, Quotas quotas, StorageLimits limits, MessageCheck messageCheck) {
    this.messageCheck = messageCheck;
    this.chats = chats;
    this.generations = generations;
    this.models = models;
    this.maxMessageChars = maxMessageChars;
    this.maxAnswerTokens = maxAnswerTokens;
    this.history = history;
    this.quotas = quotas;
    this.limits = limits;
  }

  public Quotas quotas() {
    return quotas;
  }

  /** What of a conversation the model is sent. */
  public HistoryWindow history() {
    return history;
  }

  public ChatStore store() {
    return chats;
  }

  public ModelRegistry models() {
    return models;
  }

  public Future<Conversation> create(String owner, String title) {
    String t = title == null || title.isBlank() ? DEFAULT_TITLE : clip(title.strip(), MAX_TITLE_CHARS);
    return chats.conversationCount(owner).compose(count -> {
      if (count >= limits.conversations()) {
        return Future.failedFuture(new Problem(409, "You have reached the limit of " + limits.conversations()
            + " conversations; delete one to start another."));
      }
      return chats.createConversation(owner, t, models.defaultModel());
    });
  }

  public Future<Conversation> conversation(String owner, String id) {
    return chats.conversation(owner, id)
        .map(found -> found.orElseThrow(() -> Problem.notFound("conversation")));
  }

  /**
   * Deletes a conversation with its answers' stream logs; an answer still being written is
   * stopped first. False when the owner has no such conversation.
   */
  public Future<Boolean> delete(String owner, String id) {
    return chats.conversation(owner, id).compose(found -> {
      if (found.isEmpty()) return Future.succeededFuture(false);
      return chats.messages(id).compose(messages -> {
        List<String> generations = new ArrayList<>();
        List<Future<GenerationState>> stops = new ArrayList<>();
        for (Message m : messages) {
          if (m.generationId() == null) continue;
          generations.add(m.generationId());
          if ("running".equals(m.state())) stops.add(stop(owner, m.generationId()).otherwise(GenerationState.STOPPED));
        }
        return Future.all(stops)
            .compose(v -> chats.deleteConversation(owner, id))
            .compose(deleted -> this.generations.delete(generations).map(deleted));
      });
    });
  }

  /** Renames a conversation; the title is one line of at most 200 characters. */
  public Future<Conversation> rename(String owner, String id, String title) {
    if (title == null || title.isBlank()) return Future.failedFuture(Problem.badRequest("The title is empty."));
    String t = clip(title.strip().replaceAll("\\s+", " "), MAX_TITLE_CHARS);
    return chats.renameConversation(owner, id, t).compose(found -> found
        ? conversation(owner, id) : Future.failedFuture(Problem.notFound("conversation")));
  }

  /**
   * Adds the person's message and starts the answer; the future holds the generation's id.
   * {@code model} and {@code maxTokens} may be null (the conversation's model, the model's default).
   */
  public Future<String> send(String owner, String conversationId, String content, String model, Integer maxTokens) {
    return send(owner, conversationId, content, model, maxTokens, null, false);
  }

  /** As {@link #send(String, String, String, String, Integer)}, the answer in {@code format} (null: free text). */
  public Future<String> send(String owner, String conversationId, String content, String model, Integer maxTokens,
      ResponseFormat format) {
    return send(owner, conversationId, content, model, maxTokens, format, false);
  }

  /**
   * Sends the conversation's last message again as a new answer, with the conversation's model and
   * the shape its answer was asked for; the exchange being retried is left out of what the model is sent.
   */
  public Future<String> retry(String owner, String conversationId) {
    return conversation(owner, conversationId).compose(conv -> chats.messages(conv.id())).compose(history -> {
      int last = lastUserIndex(history);
      return last < history.size()
          ? send(owner, conversationId, history.get(last).content(), null, null, formatOfAnswerTo(history, last), true)
          : Future.failedFuture(Problem.badRequest("There is no message to retry."));
    });
  }

  /** The shape the answer to the person's message at {@code index} was asked for, or null (text, or no answer). */
  private static ResponseFormat formatOfAnswerTo(List<Message> history, int index) {
    return index + 1 < history.size() && history.get(index + 1).isAssistant() ? history.get(index + 1).responseFormat() : null;
  }

  private Future<String> send(String owner, String conversationId, String content, String model, Integer maxTokens,
      ResponseFormat format, boolean retry) {
    String text;
    try {
      text = checkMessage(content);
      checkOptions(model, maxTokens);
      // First: on a full disk the conversation's own state may be stale (its last answer's save
      // failing too), and "disk full" is what the person must be told.
      limits.disk().requireSpace();
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    // Counted before the check, so a flood is refused before it reaches the moderation service.
    return quotas.countMessage(owner)
        .compose(counted -> retry ? Future.<Void>succeededFuture() : messageCheck.check(text))
        .compose(ok -> conversation(owner, conversationId)).compose(conv -> current(conv.id()).compose(history -> {
      Problem refused = idleProblem(history);
      if (refused == null && history.size() + 2 > limits.messagesPerConversation()) {
        refused = new Problem(409, "This conversation has reached the limit of "
            + limits.messagesPerConversation() + " messages; start a new chat.");
      }
      if (refused != null) return Future.failedFuture(refused);
      List<ChatMessage> turns = turns(history, retry ? lastUserIndex(history) : history.size());
      turns.add(new ChatMessage("user", text));
      String modelId = modelFor(conv, model);
      Future<Void> titled = history.isEmpty() && conv.title().equals(DEFAULT_TITLE)
          ? chats.renameConversation(owner, conv.id(), title(text)).mapEmpty() : Future.succeededFuture();
      return withinStorage(owner, text)
          .compose(v -> titled)
          .compose(v -> begin(owner, conv, modelId, maxTokens, format, turns, "",
              gid -> chats.addExchange(conv.id(), text, gid, modelId)));
    }));
  }

  private static int lastUserIndex(List<Message> history) {
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).role().equals("user")) return i;
    }
    return history.size();
  }

  /**
   * A new answer to the same question: the conversation's last answer (ended) is replaced by a
   * new generation, asked with the conversation up to the question.
   */
  public Future<String> regenerate(String owner, String generationId, String model, Integer maxTokens) {
    return lastAnswer(owner, generationId, model, maxTokens).compose(last -> begin(owner, last.conv,
        modelFor(last.conv, model), maxTokens, last.format, turns(last.history, last.history.size() - 1), "",
        gid -> restart(generationId, gid, "", modelFor(last.conv, model), true)));
  }

  /**
   * The page's Retry: the conversation's last answer, which failed, is replaced in place by a new
   * answer to the same question (no second copy of the question, no earlier version kept).
   */
  public Future<String> retryFailed(String owner, String conversationId) {
    return conversation(owner, conversationId).compose(conv -> current(conv.id()).compose(history -> {
      Problem refused = idleProblem(history);
      if (refused != null) return Future.failedFuture(refused);
      Message last = history.isEmpty() ? null : history.get(history.size() - 1);
      if (last == null || !last.isAssistant() || !"failed".equals(last.state())) {
        return Future.failedFuture(new Problem(409, "Only a failed last answer can be retried."));
      }
      String modelId = modelFor(conv, last.model());
      return withinStorage(owner, "").compose(v -> begin(owner, conv, modelId, null, last.responseFormat(),
          turns(history, history.size() - 1), "", gid -> restart(last.generationId(), gid, "", modelId, false)));
    }));
  }

  /**
   * Continues an answer that was cut short (interrupted, stopped or failed): the model gets the
   * partial answer as its own turn and an instruction to go on, and the new generation's log
   * starts with the partial text, so the same message grows from where it stopped.
   */
  public Future<String> continueAnswer(String owner, String generationId, Integer maxTokens) {
    return lastAnswer(owner, generationId, null, maxTokens).compose(last -> {
      Message answer = last.history.get(last.history.size() - 1);
      if ("done".equals(answer.state()) || answer.content().isEmpty()) {
        return Future.failedFuture(new Problem(409, "Only an answer that was cut short can be continued."));
      }
      List<ChatMessage> turns = turns(last.history, last.history.size() - 1);
      turns.add(new ChatMessage("assistant", answer.content()));
      turns.add(new ChatMessage("user", CONTINUE_INSTRUCTION));
      String modelId = modelFor(last.conv, answer.model());
      return begin(owner, last.conv, modelId, maxTokens, last.format, turns, answer.content(),
          gid -> restart(generationId, gid, answer.content(), modelId, false));
    });
  }

  /**
   * Replaces the text of one of the person's messages and answers it again; every message after
   * it is deleted (the conversation is rewritten from there, not branched).
   */
  public Future<String> edit(String owner, String conversationId, String messageId, String content, String model) {
    String text;
    try {
      text = checkMessage(content);
      checkOptions(model, null);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    return quotas.countMessage(owner).compose(counted -> messageCheck.check(text))
        .compose(ok -> conversation(owner, conversationId)).compose(conv -> current(conv.id()).compose(history -> {
      Problem refused = idleProblem(history);
      if (refused != null) return Future.failedFuture(refused);
      int index = -1;
      for (int i = 0; i < history.size(); i++) {
        if (history.get(i).id().equals(messageId) && !history.get(i).isAssistant()) index = i;
      }
      if (index < 0) return Future.failedFuture(Problem.notFound("message"));
      Message edited = history.get(index);
      ResponseFormat format = formatOfAnswerTo(history, index);
      List<ChatMessage> turns = turns(history, index);
      turns.add(new ChatMessage("user", text));
      String modelId = modelFor(conv, model);
      return withinStorage(owner, text).compose(v -> begin(owner, conv, modelId, null, format, turns, "",
          gid -> chats.editAndResend(conv.id(), edited.seq(), text, gid, modelId)));
    }));
  }

  /**
   * The conversation of an answer that must be its last message and must have ended, and the
   * shape that answer had to have (a new answer in its place keeps it).
   */
  private record LastAnswer(Conversation conv, List<Message> history, ResponseFormat format) {
  }

  private Future<LastAnswer> lastAnswer(String owner, String generationId, String model, Integer maxTokens) {
    try {
      checkOptions(model, maxTokens);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    return generation(owner, generationId).compose(status -> conversation(owner, status.info().conversationId())
        .compose(conv -> current(conv.id()).compose(history -> {
          Problem refused = idleProblem(history);
          if (refused != null) return Future.failedFuture(refused);
          Message last = history.isEmpty() ? null : history.get(history.size() - 1);
          if (last == null || !generationId.equals(last.generationId())) {
            return Future.failedFuture(new Problem(409, "Only the last answer of a conversation can be written again."));
          }
          ResponseFormat format = last.responseFormat() != null ? last.responseFormat() : status.info().responseFormat();
          return withinStorage(owner, "").map(v -> new LastAnswer(conv, history, format));
        })));
  }

  private Future<Void> restart(String oldGenerationId, String newGenerationId, String content, String model,
      boolean keepOld) {
    return chats.restartAnswer(oldGenerationId, newGenerationId, content, model, keepOld).compose(found -> found
        ? generations.delete(List.of(oldGenerationId)) : Future.failedFuture(Problem.notFound("answer")));
  }

  /** Stores the new answer's message with {@code persist}, then asks the worker to write it. */
  private Future<String> begin(String owner, Conversation conv, String modelId, Integer maxTokens,
      ResponseFormat format, List<ChatMessage> turns, String prefix,
      java.util.function.Function<String, Future<Void>> persist) {
    Quotas.Slot slot;
    try {
      limits.disk().requireSpace();
      slot = quotas.reserveGeneration(owner);
    } catch (Problem p) {
      return Future.failedFuture(p);
    }
    GenerationInfo info = new GenerationInfo(UUID.randomUUID().toString(), conv.id(), owner, modelId,
        System.currentTimeMillis(), format);
    return persist.apply(info.id())
        .compose(v -> format == null ? Future.<Void>succeededFuture() : chats.setAnswerFormat(info.id(), format))
        .compose(v -> start(info, maxTokens == null ? 0 : maxTokens, history.fit(turns).messages(), prefix))
        .andThen(ar -> slot.release());
  }

  private Future<String> start(GenerationInfo info, int maxTokens, List<ChatMessage> turns, String prefix) {
    return generations.start(new GenerationRequest(info, turns, maxTokens, prefix))
        .recover(err -> {
          String why = !(err instanceof Generations.Refused refused) ? "The answer could not be started."
              : refused.unknownModel() ? "The model " + info.model() + " is not available now." : refused.getMessage();
          return chats.saveAnswer(info.id(), prefix, null, GenerationState.FAILED.wire(), why)
              .transform(ignored -> Future.failedFuture(new Problem(503, why)));
        });
  }

  /** The turns a model is sent: those of the first {@code count} messages that have text. */
  private static List<ChatMessage> turns(List<Message> history, int count) {
    return new ArrayList<>(HistoryWindow.turns(history.subList(0, count)));
  }

  /**
   * The conversation's messages as they stand now: an answer whose generation has ended but whose
   * final text is still on its way to the database is taken from its log and saved (the same
   * save the worker makes), so the store's own check sees it ended too.
   */
  private Future<List<Message>> current(String conversationId) {
    return chats.messages(conversationId).compose(messages -> {
      List<Future<Message>> out = new ArrayList<>();
      for (Message m : messages) {
        if (!"running".equals(m.state())) {
          out.add(Future.succeededFuture(m));
          continue;
        }
        out.add(generations.status(m.generationId())
            .compose(status -> !status.ended() ? Future.succeededFuture(m) : generations.answer(m.generationId())
                .compose(a -> chats.saveAnswer(a.id(), a.text(), a.reasoning(), a.status().state().wire(),
                        a.status().error())
                    .map(saved -> new Message(m.id(), m.conversationId(), m.seq(), m.role(), a.text(),
                        a.reasoning(), m.generationId(), a.status().state().wire(), a.status().error(), m.model(),
                        m.createdAt(), m.responseFormat()))))
            .otherwise(m));
      }
      return Future.all(out).map(all -> all.list());
    });
  }

  private static Problem idleProblem(List<Message> history) {
    return history.stream().anyMatch(m -> "running".equals(m.state()))
        ? new Problem(409, JdbcChatStore.ANSWER_RUNNING) : null;
  }

  private Future<Void> withinStorage(String owner, String adding) {
    long more = adding.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    return chats.storedBytes(owner).compose(bytes -> bytes + more > limits.storedBytes()
        ? Future.failedFuture(new Problem(409, "Your conversations have reached the storage limit of "
            + (limits.storedBytes() / 1024) + " KB; delete some to go on."))
        : Future.succeededFuture());
  }

  private void checkOptions(String model, Integer maxTokens) {
    if (maxTokens != null && (maxTokens < 1 || maxTokens > maxAnswerTokens)) {
      throw Problem.badRequest("maxTokens must be from 1 to " + maxAnswerTokens);
    }
    if (model != null && models.resolve(model).isEmpty()) {
      throw Problem.badRequest("unknown model: " + clip(model, 100));
    }
  }

  /** The model asked for, else the conversation's if it is still served, else the default. */
  private String modelFor(Conversation conv, String asked) {
    if (asked != null && models.resolve(asked).isPresent()) return asked;
    return models.resolve(conv.model()).isPresent() ? conv.model() : models.defaultModel();
  }

  /**
   * The generation's status, if the owner may see it: theirs, or one of a conversation that is
   * theirs now (an anonymous session's conversations move into the account at sign-in; the log
   * keeps the owner it started under).
   */
  public Future<GenerationStatus> generation(String owner, String generationId) {
    return found(generations.status(generationId))
        .compose(status -> status.info().owner().equals(owner) ? Future.succeededFuture(status)
            : chats.conversation(owner, status.info().conversationId()).map(conv -> {
              if (conv.isEmpty()) throw Problem.notFound("generation");
              return status;
            }));
  }

  /** The generation's text as far as it is written, if the owner may see it. */
  public Future<Answer> answer(String owner, String generationId) {
    return generation(owner, generationId).compose(status -> found(generations.answer(generationId)));
  }

  private static <T> Future<T> found(Future<T> lookup) {
    return lookup.recover(err -> Future.failedFuture(err instanceof StreamStore.NotFound ? Problem.notFound("generation") : err));
  }

  /** Stops a generation wherever it runs; answers its state, which is final unless it had ended. */
  public Future<GenerationState> stop(String owner, String generationId) {
    return generation(owner, generationId).compose(status -> generations.stop(status.id()));
  }

  /** Stops any session's generation: the admin's Stop, with no owner check. */
  public Future<GenerationState> stopAny(String generationId) {
    return found(generations.stop(generationId));
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
